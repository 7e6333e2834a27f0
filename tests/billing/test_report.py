"""report.dashboard: every management figure, from a hand-built ISP with known answers.

The state below is small enough to check by hand (30-day prepaid cycle, grace 3 days,
as of 2026-11-20, every package Rp150.000):

r1  alice   start 10-01, paid 10-01 150k, 11-02 160k, refund 11-03 10k  -> active, paid to 11-29
    bob     start 11-01, paid 11-05 100k                                  -> suspended, owes 50k
    frank   start 10-25, paid 10-25 150k, credit 11-10 20k                -> active, paid to 11-23
r2  carol   free
    dave    start 11-01, status suspended (manual), nothing paid         -> owes 150k (19 days)
    erin    start 06-01, terminated end 09-30, paid 06-01 450k            -> owes 08-30 and 09-29
    gina    start 12-01                                                   -> not started
"""

from __future__ import annotations

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.report_types import RouterInfo, category, last_months
from isk_reconcile.errors import RouterError
from tests.helpers.dashboard import AS_OF, D, build, example_state


def test_customers_are_counted_by_standing_per_router_and_in_total() -> None:
    board = build()
    r1, r2 = board.routers
    assert r1.figures.customers.as_dict() == {
        "total": 3,
        "active": 2,
        "suspended": 1,
        "suspended_unpaid": 1,
        "suspended_manual": 0,
        "on_hold": 0,
        "free": 0,
        "terminated": 0,
        "not_started": 0,
    }
    assert r2.figures.customers.as_dict() == {
        "total": 4,
        "active": 0,
        "suspended": 1,
        "suspended_unpaid": 0,
        "suspended_manual": 1,
        "on_hold": 0,
        "free": 1,
        "terminated": 1,
        "not_started": 1,
    }
    assert board.total.customers.total == 7
    assert board.total.customers.suspended == 2


def test_this_months_money_billed_collected_credits_and_outstanding() -> None:
    board = build()
    r1, r2 = board.routers
    # billed: periods starting in November (bob 11-01, dave 11-01)
    assert (r1.figures.billed, r2.figures.billed, board.total.billed) == (150_000, 150_000, 300_000)
    # collected: alice 160k - 10k refund + bob 100k; the 11-25 payment is after as_of
    assert r1.figures.collected == 250_000
    assert r2.figures.collected == 0
    assert board.total.collected == 250_000
    # credits are non-cash and counted apart
    assert (board.total.credits, r1.figures.credits) == (20_000, 20_000)
    assert r1.figures.outstanding == 50_000
    assert r2.figures.outstanding == 450_000
    assert board.total.outstanding == 500_000


def test_receivables_aging_per_router_and_total() -> None:
    board = build()
    r1, r2 = board.routers
    assert [(b.label, b.amount, b.invoices) for b in r1.figures.aging] == [
        ("0-30", 50_000, 1),
        ("31-60", 0, 0),
        ("61-90", 0, 0),
        (">90", 0, 0),
    ]
    assert [(b.label, b.amount, b.invoices) for b in board.total.aging] == [
        ("0-30", 200_000, 2),
        ("31-60", 150_000, 1),
        ("61-90", 150_000, 1),
        (">90", 0, 0),
    ]
    assert [row.invoice.id for row in board.receivables] == [
        "erin/2026-08-30",
        "erin/2026-09-29",
        "bob/2026-11-01",
        "dave/2026-11-01",
    ]
    assert sum(row.amount for row in board.receivables) == board.total.outstanding


def test_overdue_lists_owing_customers_oldest_first_with_reasons() -> None:
    board = build()
    assert [(o.customer, o.outstanding, o.invoices, o.days_past_due) for o in board.overdue] == [
        ("erin", 300_000, 2, 82),
        ("dave", 150_000, 1, 19),  # same age: the larger debt first
        ("bob", 50_000, 1, 19),
    ]
    dave, bob = board.overdue[1:]
    assert dave.category == "suspended-manual"
    assert "cable cut" in dave.reason
    assert "bob/2026-11-01" in bob.reason


def test_expiring_means_enabled_and_paid_through_within_seven_days() -> None:
    board = build()
    assert [(row.id, row.expires) for row in board.expiring] == [("frank", D("2026-11-23"))]
    assert board.routers[0].figures.expiring == 1
    assert board.total.expiring == 1
    alice = next(row for row in board.customers if row.id == "alice")
    assert alice.paid_through == D("2026-11-29") and not alice.expiring
    # a longer window takes alice in too
    wider = build(expiring_days=9)
    assert [row.id for row in wider.expiring] == ["frank", "alice"]


def test_monthly_series_covers_twelve_months_ending_with_as_of() -> None:
    board = build()
    assert [m.month for m in board.monthly] == list(last_months(AS_OF))
    assert board.monthly[0].month == "2025-12" and board.monthly[-1].month == "2026-11"
    months = {m.month: m for m in board.monthly}
    assert (months["2026-06"].billed, months["2026-06"].collected) == (150_000, 450_000)
    # October: alice 10-01 and 10-31, frank 10-25; alice and frank paid
    assert (months["2026-10"].billed, months["2026-10"].collected) == (450_000, 300_000)
    assert months["2026-11"].billed == board.total.billed
    assert months["2026-11"].collected == board.total.collected


def test_customer_rows_carry_category_profile_and_money() -> None:
    board = build()
    rows = {row.id: row for row in board.customers}
    assert [row.id for row in board.customers] == [
        "alice",
        "bob",
        "frank",
        "carol",
        "dave",
        "erin",
        "gina",
    ]
    assert rows["bob"].category == "suspended-unpaid" and rows["bob"].outstanding == 50_000
    assert rows["gina"].category == "not-started" and rows["gina"].profile == "home"
    assert rows["erin"].category == "terminated" and rows["erin"].profile == "home"
    assert rows["carol"].category == "free" and rows["carol"].paid_through is None
    assert rows["alice"].balance >= 0


def test_only_restricts_routers_customers_and_totals() -> None:
    board = build(only=["r2"])
    assert [status.name for status in board.routers] == ["r2"]
    assert board.total.customers.total == 4
    assert board.total.outstanding == 450_000
    assert {row.router for row in board.customers} == {"r2"}
    assert {router for router, _ in board.payments} == {"r2"}


def test_router_live_side_reachable_unreachable_and_not_read() -> None:
    info = {
        "r1": RouterInfo(identity="R1", version="7.18", uptime="1d2h", active_sessions=2),
        "r2": RouterError("r2", "cannot connect to 127.0.0.1:1: connection refused"),
    }
    board = build(routers_info=info, drift={"r1": 3})
    r1, r2 = board.routers
    assert r1.reachable is True and r1.info.active_sessions == 2 and r1.drift == 3
    assert r2.reachable is False and "connection refused" in r2.error and r2.drift is None
    assert board.unreachable == (r2,)
    assert board.active_sessions == 2 and board.drift == 3
    # the billing part is there even for the unreachable router
    assert r2.figures.outstanding == 450_000

    unread = build()
    assert all(status.reachable is None for status in unread.routers)
    assert unread.unreachable == () and unread.drift is None and unread.active_sessions is None

    missing = build(routers_info={})
    assert [status.error for status in missing.routers] == ["not read", "not read"]


@pytest.mark.parametrize(
    ("cid", "expected"),
    [
        ("alice", "active"),
        ("bob", "suspended-unpaid"),
        ("carol", "free"),
        ("dave", "suspended-manual"),
        ("erin", "terminated"),
        ("gina", "not-started"),
    ],
)
def test_category_of_each_standing(cid: str, expected: str) -> None:
    assert category(standings(example_state(), AS_OF)[cid]) == expected


def test_last_months_crosses_year_boundaries() -> None:
    assert last_months(D("2026-02-10"), 3) == ("2025-12", "2026-01", "2026-02")


def test_invoices_and_payments_are_every_pair_in_order() -> None:
    """Listed when first looked at (Pairs), they are every invoice by customer and period,
    every entry up to as_of by date and id, each with its customer's router, and compare
    equal to the tuple of themselves."""
    state = example_state()
    board = build(state)
    by_customer = standings(state, AS_OF)
    invoices = list(board.invoices)
    assert len(invoices) == sum(len(found.invoices) for found in by_customer.values())
    assert invoices == sorted(invoices, key=lambda pair: (pair[1].customer, pair[1].period.start))
    payments = list(board.payments)
    assert [entry.id for _, entry in payments] == [
        entry.id
        for entry in sorted(state.ledger, key=lambda entry: (entry.date, entry.id))
        if entry.date <= AS_OF
    ]
    for router, item in invoices + payments:
        assert router == state.customers[item.customer].router
    assert board.invoices == tuple(invoices) and board.payments == tuple(payments)
    assert board.payments[0] == payments[0] and board.invoices[-1:] == tuple(invoices[-1:])
    assert board == build(state)
