"""Allocation at its edges (SPEC §3): which entry completed an invoice, and how far money
paid before billing starts reaches."""

from __future__ import annotations

from isk_reconcile.billing.engine import standing
from isk_reconcile.state.customers import Opening
from tests.helpers.ledger import D, customer, dated, entry, make_state


def test_the_entry_that_completed_an_invoice_is_named_not_a_later_one():
    # 100.000 + 100.000 covers the first invoice (150.000) with P-2; P-3 completes the second.
    ledger = [
        entry("P-1", "2026-01-15", 100_000),
        entry("P-2", "2026-01-20", 100_000),
        entry("P-3", "2026-02-14", 100_000),
    ]
    found = standing(make_state([customer()], ledger), "budi", D("2026-02-20"))
    assert [(i.id, i.paid_on, i.paid_by) for i in found.invoices] == [
        ("budi/2026-01-15", D("2026-01-20"), "P-2"),
        ("budi/2026-02-14", D("2026-02-14"), "P-3"),
    ]
    assert found.reason == "paid through 2026-03-15 (P-3)"


def test_an_invoice_of_one_rupiah_is_completed_by_its_payment():
    found = standing(
        make_state([customer(price=dated(1))], [entry("P-1", "2026-01-15", 1)]),
        "budi",
        D("2026-01-20"),
    )
    assert [(i.status, i.paid_on, i.paid_by) for i in found.invoices] == [
        ("paid", D("2026-01-15"), "P-1")
    ]
    assert found.reason == "paid through 2026-02-13 (P-1)"


def test_money_paid_before_billing_starts_pays_the_first_billed_period():
    # Adopted with everything settled through March: billing starts on 04-01. A payment
    # of one period's price in March pays April (04-01..04-30), not a later period.
    adopted = customer(opening=Opening(paid_through=D("2026-03-31")))
    state = make_state([adopted], [entry("P-1", "2026-03-10", 150_000)])
    found = standing(state, "budi", D("2026-03-15"))
    assert (found.paid_through, found.credit, found.access) == (D("2026-04-30"), 150_000, "enabled")
    after = standing(state, "budi", D("2026-04-20"))
    assert [(i.id, i.status, i.paid_by) for i in after.invoices] == [
        ("budi/2026-04-01", "paid", "P-1")
    ]
    assert after.paid_through == D("2026-04-30")


def test_the_payment_that_paid_ahead_is_the_one_named():
    # P-1 pays the first period; P-2, five days later, pays the next two ahead.
    ledger = [entry("P-1", "2026-01-15", 150_000), entry("P-2", "2026-01-20", 300_000)]
    found = standing(make_state([customer()], ledger), "budi", D("2026-01-25"))
    assert (found.paid_through, found.reason) == (
        D("2026-04-14"),
        "paid through 2026-04-14 (P-2)",
    )


def test_after_a_refund_reopens_an_invoice_the_payment_that_covers_it_again_completes_it():
    # Running total 200, 250, 100 (refund), 200 thousand: the 150.000 invoice stays
    # covered only from P-3 on, so P-3 completed it, on its date, not P-1.
    ledger = [
        entry("P-1", "2026-01-15", 200_000),
        entry("P-2", "2026-01-16", 50_000),
        entry("R-1", "2026-01-17", 150_000, kind="refund"),
        entry("P-3", "2026-01-18", 100_000),
    ]
    found = standing(make_state([customer()], ledger), "budi", D("2026-01-20"))
    assert [(i.status, i.paid_on, i.paid_by) for i in found.invoices] == [
        ("paid", D("2026-01-18"), "P-3")
    ]
    assert (found.credit, found.reason) == (50_000, "paid through 2026-02-13 (P-3)")


def test_months_paid_ahead_follow_the_calendar_from_the_anchor():
    # Monthly from Jan 31: 01-31..02-27, 02-28..03-30, 03-31..04-29. Three months paid on
    # the first day reach the end of the third.
    state = make_state(
        [customer(start="2026-01-31")], [entry("P-1", "2026-01-31", 450_000)], cycle="monthly"
    )
    found = standing(state, "budi", D("2026-02-05"))
    assert (found.paid_through, found.reason) == (
        D("2026-04-29"),
        "paid through 2026-04-29 (P-1)",
    )


def test_a_free_period_after_an_unpaid_one_does_not_move_paid_through():
    # budi's own price drops to 0 from his second period; the first is still unpaid, so
    # he is paid through the day before his start, not through the free period.
    state = make_state([customer(price=dated(150_000, ("2026-02-14", 0)))])
    found = standing(state, "budi", D("2026-02-20"))
    assert [(i.amount, i.status) for i in found.invoices] == [(150_000, "unpaid"), (0, "paid")]
    assert (found.paid_through, found.access) == (D("2026-01-14"), "suspended")
