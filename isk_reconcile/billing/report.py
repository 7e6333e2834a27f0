"""Management figures (SPEC §3 receivables, §6 status/export/report), computed once.

`dashboard()` is pure: it takes the validated State, the billing results for `as_of`
and, optionally, what was read from the routers, and returns a `Dashboard` holding
every figure. `isk status`, the Excel workbook and the HTML dashboard all render that
one value, so they agree by construction.

Definitions (documented in docs/reports.md):
- "this month" is the calendar month of as_of, up to as_of;
- billed: invoice amounts whose period starts in the month;
- collected: payments minus refunds dated in the month (credits are non-cash and are
  counted separately);
- outstanding: the receivables total on as_of (unpaid parts of invoices already due);
- expiring within N days: billed, enabled customers whose paid-through date (or, for a
  terminated customer, the end of service if sooner) is at most N days after as_of (or
  already past: in grace); the same rule as `isk customers --expiring-within N`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from isk_reconcile.billing.engine import Standing
from isk_reconcile.billing.invoices import Invoice, billed_amounts
from isk_reconcile.billing.receivables import Receivables
from isk_reconcile.billing.report_types import (
    AGING_LABELS,
    CATEGORIES,
    EXPIRING_DAYS,
    Bucket,
    CustomerCounts,
    CustomerRow,
    Dashboard,
    Figures,
    MonthFigures,
    OverdueRow,
    Pairs,
    ReceivableRow,
    RouterInfo,
    RouterStatus,
    category,
    expiry,
    last_months,
    month_key,
)
from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.state.ledger import NON_CASH, LedgerEntry
from isk_reconcile.state.model import State

_T = TypeVar("_T")


@dataclass
class _RouterTotals:
    """Mutable accumulator for one router while scanning; frozen into Figures at the end."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    billed: int = 0
    collected: int = 0
    credits: int = 0
    written_off: int = 0
    aging: dict[str, list[int]] = field(
        default_factory=lambda: {label: [0, 0] for label in AGING_LABELS}
    )
    expiring: int = 0

    def add(self, other: _RouterTotals) -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.billed += other.billed
        self.collected += other.collected
        self.credits += other.credits
        self.written_off += other.written_off
        for label, (amount, count) in other.aging.items():
            self.aging[label][0] += amount
            self.aging[label][1] += count
        self.expiring += other.expiring

    @classmethod
    def sum(cls, tallies: Iterable[_RouterTotals]) -> _RouterTotals:
        total = cls()
        for tally in tallies:
            total.add(tally)
        return total

    def freeze(self) -> Figures:
        counts = CustomerCounts(
            active=self.counts["active"],
            suspended_unpaid=self.counts["suspended-unpaid"],
            suspended_manual=self.counts["suspended-manual"],
            on_hold=self.counts["on-hold"],
            free=self.counts["free"],
            terminated=self.counts["terminated"],
            not_started=self.counts["not-started"],
        )
        aging = tuple(Bucket(label, amount, n) for label, (amount, n) in self.aging.items())
        return Figures(
            customers=counts,
            billed=self.billed,
            collected=self.collected,
            credits=self.credits,
            written_off=self.written_off,
            outstanding=sum(bucket.amount for bucket in aging),
            aging=aging,
            expiring=self.expiring,
        )


def dashboard(
    state: State,
    as_of: date,
    standings: Mapping[str, Standing],
    receivables: Receivables,
    routers_info: Mapping[str, RouterInfo | Exception | str] | None = None,
    drift: Mapping[str, int] | None = None,
    *,
    only: Iterable[str] | None = None,
    commit: str | None = None,
    expiring_days: int = EXPIRING_DAYS,
    notes: Iterable[str] = (),
) -> Dashboard:
    """Every figure of the dashboard for `as_of`.

    routers_info: per router, what was read (RouterInfo) or why it failed (an exception
    or message); None when routers were not read at all. `only` restricts everything
    (routers, customers, totals) to those routers.
    """
    board = billing_dashboard(
        state, as_of, standings, receivables, only=only, expiring_days=expiring_days
    )
    return with_live(board, routers_info, drift, commit=commit, notes=notes)


# One pass over 300,000 invoices and entries that makes no cycles: the collector would only
# walk the loaded state and the invoices again and again (collector.py).
@collector_paused()
def billing_dashboard(
    state: State,
    as_of: date,
    standings: Mapping[str, Standing],
    receivables: Receivables,
    *,
    only: Iterable[str] | None = None,
    expiring_days: int = EXPIRING_DAYS,
) -> Dashboard:
    """The figures of `dashboard` that come from the repository alone: no router read,
    no commit, no notes (`with_live` adds them). A pure function of (state, as_of, only,
    expiring_days), which is what the dashboard cache (billing/dashcache.py) relies on."""
    selected = selected_routers(state, only)
    scan = _Scan(
        state=state,
        as_of=as_of,
        router_of=router_of(state, selected),
        tallies={name: _RouterTotals() for name in selected},
        month=month_key(as_of),
        months=last_months(as_of),
    )
    receivable_rows = _receivable_rows(scan, receivables)
    customers = _customer_rows(scan, standings, as_of + timedelta(days=expiring_days))
    _count_payments(scan)
    statuses = [
        RouterStatus(name, state.routers[name].description, scan.tallies[name].freeze())
        for name in selected
    ]
    overdue = _overdue_rows(scan, customers)
    customers.sort(key=lambda row: (row.router, row.id))
    receivable_rows.sort(key=lambda row: (row.invoice.due, row.invoice.id))
    invoices, payments = pairs(state, as_of, standings, scan.router_of)
    board = Dashboard(
        as_of=as_of,
        month=scan.month,
        commit=None,
        routers=tuple(statuses),
        total=_RouterTotals.sum(scan.tallies.values()).freeze(),
        monthly=scan.monthly(),
        customers=tuple(customers),
        overdue=tuple(overdue),
        receivables=tuple(receivable_rows),
        invoices=invoices,
        payments=payments,
    )
    # Kept to the end of the command: later collections need not walk it (collector.py),
    # nor does the one that re-enabling the collector would start right away.
    freeze_if_large(len(state.customers) + len(state.ledger))
    return board


def with_live(
    board: Dashboard,
    routers_info: Mapping[str, RouterInfo | Exception | str] | None,
    drift: Mapping[str, int] | None,
    *,
    commit: str | None = None,
    notes: Iterable[str] = (),
) -> Dashboard:
    """`board` with what was read from the routers (see `dashboard`), the commit and the
    notes."""
    statuses = tuple(_live_status(status, routers_info, drift) for status in board.routers)
    return replace(board, routers=statuses, commit=commit, notes=tuple(notes))


def selected_routers(state: State, only: Iterable[str] | None) -> list[str]:
    """The dashboard's routers: every router, or those of `only`, in routers.yaml order."""
    chosen = None if only is None else set(only)
    return [name for name in state.routers if chosen is None or name in chosen]


def router_of(state: State, selected: Iterable[str]) -> dict[str, str]:
    """Customer id -> router, for the customers of the selected routers."""
    chosen = set(selected)
    return {cid: c.router for cid, c in state.customers.items() if c.router in chosen}


def pairs(
    state: State, as_of: date, standings: Mapping[str, Standing], routers: Mapping[str, str]
) -> tuple[Pairs[Invoice], Pairs[LedgerEntry]]:
    """Dashboard.invoices and Dashboard.payments of the customers in `routers` (customer
    id -> router), made when first looked at."""
    return (
        Pairs(partial(_invoice_pairs, routers, standings)),
        Pairs(partial(_payment_pairs, routers, state, as_of)),
    )


@dataclass
class _Scan:
    """What the dashboard's sections share while they walk the state once each."""

    state: State
    as_of: date
    router_of: dict[str, str]  # customer id -> router, selected routers only
    tallies: dict[str, _RouterTotals]
    month: str
    months: tuple[str, ...]
    billed_by_month: dict[str, int] = field(default_factory=dict)
    collected_by_month: dict[str, int] = field(default_factory=dict)
    # customer -> [amount, invoices, oldest due, days past due]
    outstanding_of: dict[str, list] = field(default_factory=dict)
    month_of: _MonthOf = field(init=False)

    def __post_init__(self) -> None:
        self.billed_by_month = dict.fromkeys(self.months, 0)
        self.collected_by_month = dict.fromkeys(self.months, 0)
        self.month_of = _MonthOf(self.months)

    def monthly(self) -> tuple[MonthFigures, ...]:
        billed, collected = self.billed_by_month, self.collected_by_month
        return tuple(MonthFigures(key, billed[key], collected[key]) for key in self.months)


class _MonthOf(dict[date, str | None]):
    """A day's "YYYY-MM" when it is one of the dashboard's months, else None; worked out
    once per distinct day (300,000 invoices and payments fall on a few hundred days)."""

    def __init__(self, months: Iterable[str]) -> None:
        super().__init__()
        self.months = frozenset(months)

    def __missing__(self, day: date) -> str | None:
        key = month_key(day)
        month = self[day] = key if key in self.months else None
        return month


# Sort keys taken in C (attrgetter) rather than by a lambda per item: 180,000 invoices.
_INVOICE_ORDER = attrgetter("customer", "period.start")
_PAYMENT_ORDER = attrgetter("date", "id")


def _sorted_by(
    pairs: list[tuple[str, _T]], order: Callable[[_T], Any]
) -> tuple[tuple[str, _T], ...]:
    """`pairs` (router, item) stably sorted by `order` of the item."""
    keys = list(map(order, map(itemgetter(1), pairs)))
    return tuple(pairs[index] for index in sorted(range(len(pairs)), key=keys.__getitem__))


@collector_paused()
def _invoice_pairs(
    routers: Mapping[str, str], standings: Mapping[str, Standing]
) -> tuple[tuple[str, Invoice], ...]:
    """Dashboard.invoices: (router, invoice) by customer and period start."""
    found: list[tuple[str, Invoice]] = []
    for cid, router in routers.items():
        standing = standings.get(cid)
        if standing is not None:
            found.extend(zip(repeat(router), standing.invoices))
    return _sorted_by(found, _INVOICE_ORDER)


@collector_paused()
def _payment_pairs(
    routers: Mapping[str, str], state: State, as_of: date
) -> tuple[tuple[str, LedgerEntry], ...]:
    """Dashboard.payments: (router, entry) up to as_of, by date and id."""
    found = [
        (router, entry)
        for entry in state.ledger
        if (router := routers.get(entry.customer)) is not None and entry.date <= as_of
    ]
    return _sorted_by(found, _PAYMENT_ORDER)


def _receivable_rows(scan: _Scan, receivables: Receivables) -> list[ReceivableRow]:
    """Receivable rows, aging per router and what each customer owes."""
    rows: list[ReceivableRow] = []
    for item in receivables.items:
        cid = item.invoice.customer
        router = scan.router_of.get(cid)
        if router is None:
            continue
        customer = scan.state.customers[cid]
        rows.append(
            ReceivableRow(item.invoice, router, customer.name, item.days_past_due, item.bucket)
        )
        tally = scan.tallies[router].aging.setdefault(item.bucket, [0, 0])
        tally[0] += item.invoice.outstanding
        tally[1] += 1
        owed = scan.outstanding_of.setdefault(cid, [0, 0, item.invoice.due, item.days_past_due])
        owed[0] += item.invoice.outstanding
        owed[1] += 1
        if item.invoice.due < owed[2]:
            owed[2], owed[3] = item.invoice.due, item.days_past_due
    return rows


def _customer_rows(
    scan: _Scan, standings: Mapping[str, Standing], horizon: date
) -> list[CustomerRow]:
    """One row per customer (counted by category, billed per month)."""
    customers: list[CustomerRow] = []
    for cid, router in scan.router_of.items():
        customer = scan.state.customers[cid]
        standing = standings.get(cid)
        if standing is None:
            continue
        tally = scan.tallies[router]
        kind = category(standing)
        tally.counts[kind] += 1
        _count_billed(scan, tally, standing.invoices)
        expires = expiry(standing, customer.end if customer.status == "terminated" else None)
        expiring = expires is not None and expires <= horizon
        tally.expiring += expiring
        as_of = scan.as_of
        profile = standing.profile or customer.profile_on(min(as_of, customer.end or as_of))
        customers.append(
            CustomerRow(
                id=cid,
                name=customer.name,
                router=router,
                profile=profile or customer.profile.first,
                status=customer.status,
                category=kind,
                access=standing.access,
                paid_through=standing.paid_through,
                expires=expires,
                expiring=expiring,
                balance=standing.balance,
                outstanding=scan.outstanding_of.get(cid, [0])[0],
                phone=customer.phone or "",
                start=customer.start,
                reason=standing.reason,
            )
        )
    return customers


def _count_billed(scan: _Scan, tally: _RouterTotals, bills: Sequence[Invoice]) -> None:
    """Invoice amounts per month of their period's start; this month's also per router
    (without making the invoices: billed_amounts)."""
    month_of, this_month, billed = scan.month_of, scan.month, scan.billed_by_month
    for start, amount in billed_amounts(bills):
        key = month_of[start]
        if key is not None:
            billed[key] += amount
            if key == this_month:
                tally.billed += amount


def _count_payments(scan: _Scan) -> None:
    """Ledger entries up to as_of: collected per month; this month's collected, credits
    and write-offs per router."""
    router_of, as_of = scan.router_of, scan.as_of
    month_of, this_month = scan.month_of, scan.month
    for entry in scan.state.ledger:
        router = router_of.get(entry.customer)
        if router is None or entry.date > as_of:
            continue
        key = month_of[entry.date]
        if key is None:  # outside the dashboard's months
            continue
        cash = 0 if entry.kind in NON_CASH else entry.signed_amount
        if key == this_month:
            if entry.kind == "credit":
                scan.tallies[router].credits += entry.amount
            elif entry.kind == "writeoff":
                scan.tallies[router].written_off += entry.amount
            else:
                scan.tallies[router].collected += cash
        scan.collected_by_month[key] += cash


def _live_status(
    status: RouterStatus,
    routers_info: Mapping[str, RouterInfo | Exception | str] | None,
    drift: Mapping[str, int] | None,
) -> RouterStatus:
    """One router's billing figures with what was read from it (None: nothing was)."""
    read = (routers_info or {}).get(status.name, "not read")
    return RouterStatus(
        name=status.name,
        description=status.description,
        figures=status.figures,
        checked=routers_info is not None,
        error=None if routers_info is None or isinstance(read, RouterInfo) else str(read),
        info=read if isinstance(read, RouterInfo) else None,
        drift=None if drift is None else drift.get(status.name),
    )


def _overdue_rows(scan: _Scan, customers: Iterable[CustomerRow]) -> list[OverdueRow]:
    """Customers who owe, oldest debt first."""
    categories = {row.id: row.category for row in customers}
    reasons = {row.id: row.reason for row in customers}
    overdue = [
        OverdueRow(
            customer=cid,
            name=scan.state.customers[cid].name,
            router=scan.router_of[cid],
            outstanding=owed[0],
            invoices=owed[1],
            oldest_due=owed[2],
            days_past_due=owed[3],
            category=categories.get(cid, ""),
            reason=reasons.get(cid, ""),
        )
        for cid, owed in scan.outstanding_of.items()
    ]
    overdue.sort(key=lambda row: (-row.days_past_due, -row.outstanding, row.customer))
    return overdue
