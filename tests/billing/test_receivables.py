"""Receivables (SPEC §3) at their edges: the smallest debt, and the statement's day."""

from __future__ import annotations

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.receivables import receivables, receivables_by_customer
from tests.helpers.ledger import D, customer, entry, make_state


def test_one_rupiah_still_owed_is_a_receivable():
    # budi paid all but Rp1 of his first invoice; ani paid hers in full.
    state = make_state(
        [customer("ani"), customer("budi")],
        [entry("P-1", "2026-01-15", 150_000, cid="ani"), entry("P-2", "2026-01-15", 149_999)],
    )
    day = D("2026-01-20")
    owed = receivables(state, day, standings(state, day))
    assert [(r.invoice.id, r.invoice.outstanding, r.bucket) for r in owed.items] == [
        ("budi/2026-01-15", 1, "0-30")
    ]
    assert owed.total == 1
    assert [(b.label, b.amount, b.invoices) for b in owed.buckets][0] == ("0-30", 1, 1)
    assert [(row.customer, row.total) for row in receivables_by_customer(owed)] == [("budi", 1)]


def test_a_receivables_statement_is_dated_the_day_asked():
    state = make_state([customer()])
    day = D("2026-02-20")
    assert receivables(state, day).as_of == day
    assert receivables(state, day, standings(state, day)).as_of == day
