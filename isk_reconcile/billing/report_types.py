"""The values of the management dashboard (SPEC §3 receivables, §6 status/export/report):
`Dashboard` and its parts, and the one-word categories of a customer's standing that
counts, tables and filters use. `billing.report.dashboard` computes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from isk_reconcile.billing.engine import Standing
from isk_reconcile.billing.invoices import Invoice
from isk_reconcile.lazy import LazyTuple
from isk_reconcile.state.ledger import LedgerEntry

_T = TypeVar("_T")

EXPIRING_DAYS = 7
MONTHS = 12
AGING_LABELS = ("0-30", "31-60", "61-90", ">90")

# A customer's standing as one word, for counts, tables and filters.
CATEGORIES = (
    "active",  # enabled and billed (paid up, in grace, or protected)
    "suspended-unpaid",  # suspended for an unpaid invoice past grace
    "suspended-manual",  # suspended by hand (status: suspended)
    "on-hold",  # a billing pause (holds:): suspended, not billed meanwhile
    "free",  # never billed, always on
    "terminated",  # past its end date: no account on the router
    "not-started",  # before its start date: no account yet
)


@dataclass(frozen=True)
class RouterInfo:
    """What `isk status` reads from one reachable router."""

    identity: str
    version: str
    uptime: str
    active_sessions: int


@dataclass(frozen=True)
class CustomerCounts:
    active: int = 0
    suspended_unpaid: int = 0
    suspended_manual: int = 0
    on_hold: int = 0
    free: int = 0
    terminated: int = 0
    not_started: int = 0

    @property
    def suspended(self) -> int:
        return self.suspended_unpaid + self.suspended_manual + self.on_hold

    @property
    def total(self) -> int:
        return self.active + self.suspended + self.free + self.terminated + self.not_started

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "active": self.active,
            "suspended": self.suspended,
            "suspended_unpaid": self.suspended_unpaid,
            "suspended_manual": self.suspended_manual,
            "on_hold": self.on_hold,
            "free": self.free,
            "terminated": self.terminated,
            "not_started": self.not_started,
        }


@dataclass(frozen=True)
class Bucket:
    label: str
    amount: int
    invoices: int


@dataclass(frozen=True)
class Figures:
    """Billing figures for one router, or for all of them."""

    customers: CustomerCounts
    billed: int  # this month
    collected: int  # this month, payments minus refunds
    credits: int  # this month, non-cash credits
    written_off: int  # this month, writeoff entries (bad debt, a decision on record)
    outstanding: int  # receivables total on as_of
    aging: tuple[Bucket, ...]  # the four buckets, in order
    expiring: int  # customers expiring within EXPIRING_DAYS


@dataclass(frozen=True)
class RouterStatus:
    """One router: its live side (None when not read) and its billing figures."""

    name: str
    description: str
    figures: Figures
    checked: bool = False  # False with --no-routers: nothing was read
    error: str | None = None  # why the router could not be read
    info: RouterInfo | None = None
    drift: int | None = None  # accounts whose live state differs from the desired one

    @property
    def reachable(self) -> bool | None:
        return None if not self.checked else self.error is None


@dataclass(frozen=True)
class CustomerRow:
    id: str
    name: str
    router: str
    profile: str | None  # current profile (the last one for an absent account)
    status: str  # as written in the YAML
    category: str  # one of CATEGORIES
    access: str  # absent | enabled | suspended
    paid_through: date | None
    expires: date | None  # when billed access runs out (paid_through, or end for terminated)
    expiring: bool
    balance: int
    outstanding: int
    phone: str
    start: date
    reason: str


@dataclass(frozen=True)
class OverdueRow:
    customer: str
    name: str
    router: str
    outstanding: int
    invoices: int
    oldest_due: date
    days_past_due: int
    category: str
    reason: str


@dataclass(frozen=True)
class MonthFigures:
    month: str  # "YYYY-MM"
    billed: int
    collected: int


@dataclass(frozen=True)
class ReceivableRow:
    invoice: Invoice
    router: str
    name: str
    days_past_due: int
    bucket: str

    @property
    def amount(self) -> int:
        return self.invoice.outstanding


class Pairs(LazyTuple[tuple[str, _T]]):
    """The dashboard's (router, invoice) or (router, entry) pairs, listed and sorted when
    first looked at (issue 12): `isk status` shows none of the 180,000 invoices and
    120,000 payments of 10,000 customers; the workbook lists them all. Compares equal to
    the tuple of the same pairs."""

    __slots__ = ()


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    month: str  # "YYYY-MM", the month of as_of
    commit: str | None  # repo commit the figures were built from (None: not a git repo)
    routers: tuple[RouterStatus, ...]
    total: Figures
    monthly: tuple[MonthFigures, ...]  # last MONTHS months, oldest first
    customers: tuple[CustomerRow, ...]  # sorted by router, id
    overdue: tuple[OverdueRow, ...]  # most days past due first
    receivables: tuple[ReceivableRow, ...]  # oldest due first
    # (router, invoice) by customer and period; (router, entry) up to as_of by date and id
    invoices: Sequence[tuple[str, Invoice]] = field(repr=False)
    payments: Sequence[tuple[str, LedgerEntry]] = field(repr=False)
    notes: tuple[str, ...] = ()  # caveats worth showing, e.g. why drift could not be counted

    @property
    def expiring(self) -> tuple[CustomerRow, ...]:
        rows = [row for row in self.customers if row.expiring]
        return tuple(sorted(rows, key=lambda row: (row.expires or date.min, row.id)))

    @property
    def unreachable(self) -> tuple[RouterStatus, ...]:
        return tuple(status for status in self.routers if status.reachable is False)

    @property
    def drift(self) -> int | None:
        counted = [status.drift for status in self.routers if status.drift is not None]
        return sum(counted) if counted else None

    @property
    def active_sessions(self) -> int | None:
        counted = [status.info.active_sessions for status in self.routers if status.info]
        return sum(counted) if counted else None


def category(standing: Standing) -> str:
    if standing.cause == "terminated":
        return "terminated"
    if standing.cause == "not-started":
        return "not-started"
    if standing.cause == "free":
        return "free"
    if standing.cause == "manual":
        return "suspended-manual"
    if standing.cause == "hold":
        return "on-hold"
    if standing.access == "suspended":
        return "suspended-unpaid"
    return "active"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(as_of: date, count: int = MONTHS) -> tuple[str, ...]:
    """The `count` calendar months ending with as_of's, oldest first."""
    index = as_of.year * 12 + as_of.month - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1))


def expiry(standing: Standing, end: date | None) -> date | None:
    """The last day a billed, enabled account stays on without another payment: its
    paid-through date, or a terminated customer's end if sooner (the same rule as
    `isk customers --expiring-within`). None for free, protected or disabled accounts."""
    if standing.cause not in ("paid", "unpaid") or standing.access != "enabled":
        return None
    dates = [day for day in (standing.paid_through, end) if day is not None]
    return min(dates) if dates else None
