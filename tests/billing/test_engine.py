"""Billing engine (SPEC §3): table-driven edge cases with exact dates and amounts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import rupiah, standing, standings
from isk_reconcile.billing.invoices import invoices
from isk_reconcile.billing.periods import add_months, periods
from isk_reconcile.billing.receivables import aging_bucket, receivables, receivables_by_customer
from isk_reconcile.errors import IskError
from isk_reconcile.state.settings import BillingSettings, Settings
from tests.helpers.isp import customer as customer_document
from tests.helpers.isp import load, write_repo
from tests.helpers.ledger import D, customer, dated, entry, make_state, profile

# --- helpers (the model builders live in tests/helpers/ledger.py) -----


def settings(cycle: str = "30d", mode: str = "prepaid") -> Settings:
    return Settings(billing=BillingSettings(cycle=cycle, mode=mode))


# --- periods -----


def starts(found) -> list[str]:
    return [p.start.isoformat() for p in found]


def test_thirty_day_periods_start_every_thirty_days_and_end_the_day_before_the_next():
    found = periods(customer(), settings(), D("2026-03-16"))
    assert [(p.index, p.start, p.end) for p in found] == [
        (0, D("2026-01-15"), D("2026-02-13")),
        (1, D("2026-02-14"), D("2026-03-15")),
        (2, D("2026-03-16"), D("2026-04-14")),
    ]


def test_no_periods_before_start():
    assert periods(customer(), settings(), D("2026-01-14")) == ()


@pytest.mark.parametrize(
    ("start", "until", "expected"),
    [
        # Jan 31 anchor, not a leap year: clamped to Feb 28, back to Mar 31 (never chained).
        ("2026-01-31", "2026-05-01", ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]),
        # Leap year: Feb 29 exists.
        ("2028-01-31", "2028-03-31", ["2028-01-31", "2028-02-29", "2028-03-31"]),
        # Anchored on Feb 29: Feb 28 in the next (non-leap) year, then the 29th again.
        (
            "2028-02-29",
            "2029-03-29",
            [
                "2028-02-29",
                "2028-03-29",
                "2028-04-29",
                "2028-05-29",
                "2028-06-29",
                "2028-07-29",
                "2028-08-29",
                "2028-09-29",
                "2028-10-29",
                "2028-11-29",
                "2028-12-29",
                "2029-01-29",
                "2029-02-28",
                "2029-03-29",
            ],
        ),
        # Year boundary, and until exactly on a period start includes it.
        ("2026-11-15", "2027-01-15", ["2026-11-15", "2026-12-15", "2027-01-15"]),
    ],
)
def test_monthly_periods_are_anchored_on_the_start_day(start, until, expected):
    found = periods(customer(start=start), settings("monthly"), D(until))
    assert starts(found) == expected
    assert found[1].end == D(expected[2]) - timedelta(days=1)


def test_monthly_period_end_of_a_jan_31_anchor_in_february():
    found = periods(customer(start="2026-01-31"), settings("monthly"), D("2026-02-28"))
    assert found[0].end == D("2026-02-27")
    assert found[1].end == D("2026-03-30")


def test_add_months_clamps_without_chaining():
    assert add_months(D("2026-01-31"), 1) == D("2026-02-28")
    assert add_months(D("2026-01-31"), 2) == D("2026-03-31")
    assert add_months(D("2026-03-31"), -1) == D("2026-02-28")


def test_free_customer_has_no_periods():
    assert periods(customer(status="free"), settings(), D("2027-01-01")) == ()


def test_terminated_customer_has_no_period_starting_after_end_and_the_last_is_full():
    gone = customer(status="terminated", end=D("2026-03-01"))
    found = periods(gone, settings(), D("2026-12-31"))
    assert starts(found) == ["2026-01-15", "2026-02-14"]
    assert found[-1].end == D("2026-03-15")  # extends beyond end; still billed in full


# --- invoices -----


def test_invoice_ids_amounts_and_prepaid_due_dates():
    state = make_state([customer()])
    found = invoices(state.customers["budi"], state, (), D("2026-02-20"))
    assert [(i.id, i.amount, i.due, i.profile, i.status) for i in found] == [
        ("budi/2026-01-15", 150_000, D("2026-01-15"), "home-10m", "unpaid"),
        ("budi/2026-02-14", 150_000, D("2026-02-14"), "home-10m", "unpaid"),
    ]


def test_postpaid_invoice_is_due_the_day_after_the_period_ends():
    state = make_state([customer()], mode="postpaid")
    found = invoices(state.customers["budi"], state, (), D("2026-01-15"))
    assert [(i.id, i.due) for i in found] == [("budi/2026-01-15", D("2026-02-14"))]


def test_customer_price_overrides_the_package_price():
    state = make_state([customer(price=dated(120_000))])
    found = invoices(state.customers["budi"], state, (), D("2026-01-15"))
    assert found[0].amount == 120_000


def test_price_change_dated_in_the_future_changes_no_past_invoice():
    rising = profile(price=dated(150_000, ("2027-01-01", 165_000)))
    state = make_state([customer(start="2026-11-01")], profiles=[rising], cycle="monthly")
    before = invoices(state.customers["budi"], state, (), D("2026-12-31"))
    assert [i.amount for i in before] == [150_000, 150_000]
    later = invoices(state.customers["budi"], state, (), D("2027-02-01"))
    assert [(i.id, i.amount) for i in later] == [
        ("budi/2026-11-01", 150_000),
        ("budi/2026-12-01", 150_000),
        ("budi/2027-01-01", 165_000),
        ("budi/2027-02-01", 165_000),
    ]


def test_mid_period_profile_change_bills_the_profile_held_on_the_period_start():
    upgraded = customer(profile_changes=(("2026-03-01", "home-20m"),))
    state = make_state([upgraded])
    found = invoices(upgraded, state, (), D("2026-03-16"))
    assert [(i.id, i.profile, i.amount) for i in found] == [
        ("budi/2026-01-15", "home-10m", 150_000),
        ("budi/2026-02-14", "home-10m", 150_000),  # the change on 03-01 is mid-period
        ("budi/2026-03-16", "home-20m", 200_000),
    ]
    assert standing(state, "budi", D("2026-03-05")).profile == "home-20m"


# --- allocation -----


def test_partial_and_paid_status_with_paid_on_and_paid_by():
    ledger = [entry("P-1", "2026-01-15", 100_000), entry("P-2", "2026-01-20", 100_000)]
    state = make_state([customer()], ledger)
    found = invoices(state.customers["budi"], state, tuple(ledger), D("2026-02-14"))
    assert [(i.status, i.paid, i.paid_on, i.paid_by) for i in found] == [
        ("paid", 150_000, D("2026-01-20"), "P-2"),
        ("partial", 50_000, None, None),
    ]
    assert found[1].outstanding == 100_000


def test_entries_dated_after_as_of_are_not_counted():
    ledger = [entry("P-1", "2026-02-01", 150_000)]
    state = make_state([customer()], ledger)
    found = standing(state, "budi", D("2026-01-31"))
    assert found.invoices[0].status == "unpaid"
    assert found.credit == 0


def test_allocation_follows_date_then_id_not_file_order():
    ledger = [entry("P-2", "2026-01-15", 50_000), entry("P-1", "2026-01-15", 100_000)]
    state = make_state([customer()], ledger)
    first = standing(state, "budi", D("2026-01-20")).invoices[0]
    assert (first.paid_by, first.paid_on) == ("P-2", D("2026-01-15"))


def test_paid_a_year_ahead():
    ledger = [entry("P-1", "2026-01-15", 12 * 150_000)]
    state = make_state([customer()], ledger)
    now = standing(state, "budi", D("2026-02-01"))
    assert now.credit == 11 * 150_000
    assert now.paid_through == D("2027-01-09")  # end of period 11: 2026-01-15 + 360 days - 1
    assert (now.access, now.reason) == ("enabled", "paid through 2027-01-09 (P-1)")
    assert now.balance == 11 * 150_000
    # Half a year on, the period that has started since was paid by the early entry.
    later = standing(state, "budi", D("2026-07-15"))
    assert later.invoices[-1].id == "budi/2026-07-14"
    assert (later.invoices[-1].paid_on, later.invoices[-1].paid_by) == (D("2026-01-15"), "P-1")
    assert later.paid_through == D("2027-01-09")
    # After the year the account lapses.
    in_grace = standing(state, "budi", D("2027-01-13"))
    assert (in_grace.access, in_grace.cause, in_grace.reason) == (
        "enabled",
        "paid",  # still: what decides access is the payments, not a hold or a status
        "invoice budi/2027-01-10 (Rp150.000) due 2027-01-10 unpaid, grace until 2027-01-13",
    )
    assert standing(state, "budi", D("2027-01-14")).access == "suspended"


def test_paid_ahead_stops_where_credit_does_not_cover_a_future_price():
    rising = profile(price=dated(150_000, ("2027-01-01", 165_000)))
    ledger = [entry("P-1", "2026-11-01", 450_000)]
    state = make_state([customer(start="2026-11-01")], ledger, [rising], cycle="monthly")
    found = standing(state, "budi", D("2026-11-29"))
    assert found.credit == 300_000
    assert found.paid_through == D("2026-12-31")  # Jan costs 165.000, only 150.000 left


def test_refund_reopens_the_newest_paid_invoice():
    ledger = [
        entry("P-1", "2026-01-15", 150_000),
        entry("P-2", "2026-02-14", 150_000),
        entry("R-1", "2026-02-20", 150_000, "refund"),
    ]
    state = make_state([customer()], ledger)
    before = standing(state, "budi", D("2026-02-19"))
    assert [i.status for i in before.invoices] == ["paid", "paid"]
    after = standing(state, "budi", D("2026-02-20"))
    assert [(i.status, i.paid_by) for i in after.invoices] == [("paid", "P-1"), ("unpaid", None)]
    assert after.access == "suspended"
    assert after.cause == "unpaid"
    assert after.reason == (
        "unpaid invoice budi/2026-02-14 (Rp150.000) due 2026-02-14, grace ended 2026-02-17"
    )
    assert (after.credit, after.balance) == (0, -150_000)
    assert after.paid_through == D("2026-02-13")


def test_partial_refund_leaves_a_partial_invoice_named_with_its_outstanding_part():
    ledger = [entry("P-1", "2026-01-15", 300_000), entry("R-1", "2026-02-20", 50_000, "refund")]
    state = make_state([customer()], ledger)
    found = standing(state, "budi", D("2026-02-20"))
    assert [(i.status, i.paid) for i in found.invoices] == [("paid", 150_000), ("partial", 100_000)]
    assert found.reason == (
        "unpaid invoice budi/2026-02-14 (Rp50.000 of Rp150.000 outstanding) due 2026-02-14, "
        "grace ended 2026-02-17"
    )


def test_paid_on_is_the_entry_after_which_the_running_total_stays_covered():
    ledger = [
        entry("P-1", "2026-01-15", 100_000),
        entry("P-2", "2026-01-16", 50_000),  # covers it ...
        entry("R-1", "2026-01-17", 50_000, "refund"),  # ... uncovers it ...
        entry("P-3", "2026-01-18", 50_000),  # ... and this one completes it for good
    ]
    state = make_state([customer()], ledger)
    first = standing(state, "budi", D("2026-01-20")).invoices[0]
    assert (first.status, first.paid_on, first.paid_by) == ("paid", D("2026-01-18"), "P-3")


def test_refunds_exceeding_payments_leave_negative_credit_and_conserve_money():
    ledger = [entry("P-1", "2026-01-15", 100_000), entry("R-1", "2026-01-16", 150_000, "refund")]
    state = make_state([customer()], ledger)
    found = standing(state, "budi", D("2026-01-16"))
    assert found.invoices[0].paid == 0
    assert found.credit == -50_000
    assert found.balance == -200_000


def test_credit_entries_add_like_payments():
    ledger = [entry("C-1", "2026-01-15", 150_000, "credit")]
    state = make_state([customer()], ledger)
    assert standing(state, "budi", D("2026-01-20")).invoices[0].status == "paid"


# --- standing -----


@pytest.mark.parametrize(
    ("as_of", "access", "reason"),
    [
        ("2026-02-13", "enabled", "paid through 2026-02-13 (P-1)"),
        (
            "2026-02-14",
            "enabled",
            "invoice budi/2026-02-14 (Rp150.000) due 2026-02-14 unpaid, grace until 2026-02-17",
        ),
        # The last day of grace is still enabled ...
        (
            "2026-02-17",
            "enabled",
            "invoice budi/2026-02-14 (Rp150.000) due 2026-02-14 unpaid, grace until 2026-02-17",
        ),
        # ... the next day is not.
        (
            "2026-02-18",
            "suspended",
            "unpaid invoice budi/2026-02-14 (Rp150.000) due 2026-02-14, grace ended 2026-02-17",
        ),
    ],
)
def test_grace_boundaries(as_of, access, reason):
    state = make_state([customer()], [entry("P-1", "2026-01-15", 150_000)])
    found = standing(state, "budi", D(as_of))
    assert (found.access, found.reason) == (access, reason)


def test_zero_grace_suspends_the_day_after_due():
    state = make_state([customer()], grace_days=0)
    assert standing(state, "budi", D("2026-01-15")).access == "enabled"
    assert standing(state, "budi", D("2026-01-16")).access == "suspended"


def test_the_oldest_overdue_invoice_is_the_reason():
    state = make_state([customer()])
    found = standing(state, "budi", D("2026-03-01"))
    assert found.reason.startswith("unpaid invoice budi/2026-01-15 ")
    assert found.balance == -300_000
    assert found.paid_through == D("2026-01-14")


def test_terminated_with_an_unpaid_balance_is_absent_and_still_owes():
    gone = customer(status="terminated", end=D("2026-03-01"))
    state = make_state([gone], [entry("P-1", "2026-01-15", 150_000)])
    on_last_day = standing(state, "budi", D("2026-03-01"))
    assert on_last_day.access == "suspended"  # still an account, and overdue
    found = standing(state, "budi", D("2026-04-01"))
    assert (found.access, found.cause, found.reason) == (
        "absent",
        "terminated",
        "terminated on 2026-03-01",
    )
    assert found.profile is None
    assert [i.id for i in found.invoices] == ["budi/2026-01-15", "budi/2026-02-14"]
    assert found.balance == -150_000
    owed = receivables(state, D("2026-04-01"))
    assert [(r.invoice.id, r.days_past_due, r.bucket) for r in owed.items] == [
        ("budi/2026-02-14", 46, "31-60")
    ]
    assert owed.total == 150_000


def test_terminated_and_fully_paid_is_paid_through_its_last_period():
    gone = customer(status="terminated", end=D("2026-03-01"))
    state = make_state([gone], [entry("P-1", "2026-01-15", 600_000)])
    found = standing(state, "budi", D("2026-02-01"))
    assert found.paid_through == D("2026-03-15")  # no virtual period starts after end
    assert found.credit == 450_000


def test_not_started_yet():
    state = make_state([customer(start="2026-12-01")])
    found = standing(state, "budi", D("2026-11-29"))
    assert (found.access, found.cause, found.reason) == (
        "absent",
        "not-started",
        "service starts 2026-12-01",
    )
    assert found.invoices == ()
    assert found.profile is None


def test_free_account_is_enabled_never_billed_and_has_no_paid_through():
    state = make_state([customer(status="free")])
    found = standing(state, "budi", D("2026-11-29"))
    assert (found.access, found.cause, found.reason) == ("enabled", "free", "free account")
    assert (found.invoices, found.paid_through, found.balance) == ((), None, 0)
    assert found.profile == "home-10m"


def test_protected_account_stays_enabled_while_owing():
    state = make_state([customer(protect=True)])
    found = standing(state, "budi", D("2026-11-29"))
    assert (found.access, found.cause, found.reason) == (
        "enabled",
        "protected",
        "protected: never suspended by the reconciler",
    )
    assert found.balance < 0


def test_suspended_by_hand_keeps_billing():
    held = customer(status="suspended", suspend_reason="moving house")
    state = make_state([held], [entry("P-1", "2026-01-15", 900_000)])
    found = standing(state, "budi", D("2026-03-01"))
    assert (found.access, found.cause, found.reason) == (
        "suspended",
        "manual",
        "suspended by hand: moving house",
    )
    assert len(found.invoices) == 2
    assert found.credit == 600_000


def test_postpaid_first_period_has_nothing_due_yet():
    state = make_state([customer()], mode="postpaid")
    found = standing(state, "budi", D("2026-02-01"))
    assert (found.access, found.reason) == (
        "enabled",
        "nothing due yet: invoice budi/2026-01-15 due 2026-02-14",
    )
    assert found.balance == 0
    assert standing(state, "budi", D("2026-02-18")).access == "suspended"


def test_standing_of_an_unknown_customer_is_an_error():
    with pytest.raises(IskError, match="no such customer: nobody"):
        standing(make_state([customer()]), "nobody", D("2026-01-01"))


def test_standings_cover_every_customer_sorted_by_id():
    state = make_state([customer("zed"), customer("ani")])
    assert list(standings(state, D("2026-01-20"))) == ["ani", "zed"]


# --- receivables and totals -----


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, ">90"),
        (400, ">90"),
    ],
)
def test_aging_buckets(days, bucket):
    assert aging_bucket(days) == bucket


def test_receivables_age_every_unpaid_due_invoice():
    state = make_state(
        [customer("ani"), customer("budi", start="2026-03-01"), customer("free", status="free")],
        [entry("P-1", "2026-03-01", 100_000, cid="budi")],
    )
    owed = receivables(state, D("2026-04-15"))
    assert [
        (r.invoice.id, r.invoice.outstanding, r.days_past_due, r.bucket) for r in owed.items
    ] == [
        ("ani/2026-01-15", 150_000, 90, "61-90"),
        ("ani/2026-02-14", 150_000, 60, "31-60"),
        ("budi/2026-03-01", 50_000, 45, "31-60"),
        ("ani/2026-03-16", 150_000, 30, "0-30"),
        ("budi/2026-03-31", 150_000, 15, "0-30"),
        ("ani/2026-04-15", 150_000, 0, "0-30"),
    ]
    assert [(b.label, b.amount, b.invoices) for b in owed.buckets] == [
        ("0-30", 450_000, 3),
        ("31-60", 200_000, 2),
        ("61-90", 150_000, 1),
        (">90", 0, 0),
    ]
    assert owed.total == 800_000
    per_customer = receivables_by_customer(owed)
    assert [(row.customer, row.total, row.invoices, row.oldest_due) for row in per_customer] == [
        ("ani", 600_000, 4, D("2026-01-15")),
        ("budi", 200_000, 2, D("2026-03-01")),
    ]
    assert per_customer[1].buckets == {"0-30": 150_000, "31-60": 50_000, "61-90": 0, ">90": 0}


def test_postpaid_receivables_exclude_invoices_not_yet_due():
    state = make_state([customer()], mode="postpaid")
    assert receivables(state, D("2026-02-13")).items == ()
    assert receivables(state, D("2026-02-14")).total == 150_000


def test_rupiah_uses_dots_for_thousands():
    assert rupiah(150_000) == "Rp150.000"
    assert rupiah(1_650_000) == "Rp1.650.000"
    assert rupiah(-50_000) == "-Rp50.000"
    assert rupiah(0) == "Rp0"


# --- a repository on disk: monthly clamp and the grace boundary ----------------------------


def test_monthly_periods_clamp_and_grace_boundary(tmp_path: Path) -> None:
    """Jan 31 → Feb 29 → Mar 31 → Apr 30 (anchored on the start day); the last grace day
    is still enabled, the day after is suspended."""
    payment = {
        "id": "P1",
        "customer": "a",
        "amount": 450_000,
        "date": "2024-01-31",
        "method": "cash",
    }
    root = write_repo(
        tmp_path,
        {"a": customer_document("A", status="active", start="2024-01-31")},
        payments=[payment],
    )
    state = load(root)
    starts = [p.start for p in periods(state.customers["a"], state.settings, date(2024, 5, 1))]
    assert starts == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    last_grace_day = standing(state, "a", date(2024, 5, 3))
    assert last_grace_day.access == "enabled"
    assert last_grace_day.paid_through == date(2024, 4, 29)
    after = standing(state, "a", date(2024, 5, 4))
    assert after.access == "suspended"
    assert after.reason == (
        "unpaid invoice a/2024-04-30 (Rp150.000) due 2024-04-30, grace ended 2024-05-03"
    )
