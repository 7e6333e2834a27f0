"""The reason a standing gives, word for word, at the edges of each sentence (SPEC §3):
what an operator reads in `isk status`, a plan's reasons and a customer's page."""

from __future__ import annotations

from isk_reconcile.billing.engine import standing, standings
from isk_reconcile.state.customers import Opening
from tests.helpers.ledger import D, customer, dated, entry, make_state


def test_one_rupiah_paid_makes_the_overdue_invoice_partly_paid_in_the_reason():
    # Rp1 is money received: the reason says how much of the invoice is still owed.
    state = make_state([customer()], [entry("P-1", "2026-01-15", 1)])
    found = standing(state, "budi", D("2026-01-19"))
    assert (found.access, found.reason) == (
        "suspended",
        "unpaid invoice budi/2026-01-15 (Rp149.999 of Rp150.000 outstanding) due 2026-01-15, "
        "grace ended 2026-01-18",
    )
    assert found.balance == -149_999


def test_suspended_by_hand_without_a_reason_says_only_that():
    # An empty (or blank) suspend_reason leaves no dangling colon in the sentence.
    for blank in ("", "   "):
        held = customer(status="suspended", suspend_reason=blank)
        found = standing(make_state([held]), "budi", D("2026-01-20"))
        assert (found.access, found.cause, found.reason) == (
            "suspended",
            "manual",
            "suspended by hand",
        )


def test_paid_through_names_no_entry_when_nothing_was_paid_for_it():
    # A customer billed Rp0 is paid through every period without any ledger entry: the
    # reason gives the date alone, with no "(None)" where the paying entry's id would be.
    state = make_state([customer(price=dated(0))])
    found = standing(state, "budi", D("2026-03-01"))
    assert found.access == "enabled"
    assert found.paid_through is not None and found.paid_through > D("2026-03-01")
    assert found.reason == f"paid through {found.paid_through.isoformat()}"


def test_an_adopted_customer_within_the_settled_time_has_nothing_due_yet():
    # Settled before adoption through March: no period is billed yet, so nothing is due,
    # and the account is paid through the settled date.
    adopted = customer(opening=Opening(paid_through=D("2026-03-31")))
    found = standing(make_state([adopted]), "budi", D("2026-03-01"))
    assert (found.access, found.cause, found.reason) == ("enabled", "paid", "nothing due yet")
    assert (found.paid_through, found.balance, tuple(found.invoices)) == (D("2026-03-31"), 0, ())


def test_a_standing_says_which_day_it_describes():
    # The demo's expiry and the desired profile's fallback read the standing's own day.
    state = make_state([customer(), customer("ani", start="2026-05-01")])
    day = D("2026-02-20")
    assert standing(state, "budi", day).as_of == day
    assert {cid: found.as_of for cid, found in standings(state, day).items()} == {
        "ani": day,
        "budi": day,
    }


def test_postpaid_paid_up_while_the_running_period_is_not_yet_due_says_paid_through():
    # Postpaid: the first period (01-15..02-13) was billed and paid; the running one is
    # invoiced but not due until 03-16: the reason is the paid-through date, not
    # "nothing due yet". (The entry that paid it is named only when no invoice is unpaid.)
    state = make_state([customer()], [entry("P-1", "2026-02-14", 150_000)], mode="postpaid")
    found = standing(state, "budi", D("2026-02-20"))
    assert found.access == "enabled"
    assert found.reason.startswith("paid through 2026-02-13")
    assert found.paid_through == D("2026-02-13")
