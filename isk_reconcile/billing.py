"""Billing engine (SPEC §3): pure functions of (State, as_of).

INTERFACE CONTRACT — other modules rely on these names and fields. The billing
implementer fills in the bodies (and may add helpers) but keeps these signatures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from isk_reconcile.model import Customer, LedgerEntry, Settings, State

InvoiceStatus = Literal["paid", "partial", "unpaid"]
# What the router must do with the account on as_of.
Access = Literal["absent", "enabled", "suspended"]
# Why, as a stable machine-readable word (the human sentence is Standing.reason).
Cause = Literal[
    "not-started",  # as_of < start: the account must not exist yet
    "terminated",  # terminated and as_of > end: the account must not exist
    "free",  # status free: always enabled, never billed
    "protected",  # protect: true: always enabled
    "manual",  # status suspended: suspended by hand
    "unpaid",  # an invoice is unpaid past due + grace
    "paid",  # everything due is paid (or still within grace)
]


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date  # inclusive: the day before the next period starts


@dataclass(frozen=True)
class Invoice:
    id: str  # "<customer>/<period start ISO>"
    customer: str
    period: Period
    due: date
    amount: int
    profile: str  # the customer's profile on the period's first day
    paid: int  # amount allocated to this invoice (0..amount)
    paid_on: date | None  # date of the ledger entry that completed it, when status == "paid"
    paid_by: str | None  # id of that ledger entry

    @property
    def status(self) -> InvoiceStatus:
        if self.paid >= self.amount:
            return "paid"
        return "partial" if self.paid > 0 else "unpaid"

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid


@dataclass(frozen=True)
class Standing:
    """A customer's billing position and required access on `as_of`."""

    customer: str
    as_of: date
    access: Access
    cause: Cause
    reason: str  # a sentence a person can check, e.g. "unpaid invoice budi/2026-11-15 (Rp150.000) due 2026-11-15, grace ended 2026-11-18"
    profile: str | None  # the customer's profile on as_of (None when the account is absent)
    invoices: tuple[Invoice, ...]  # periods started on or before as_of, oldest first
    paid_through: date | None  # None for free customers; start - 1 day when the first period is unpaid
    credit: int  # money left over after allocation (pays future periods)
    balance: int  # credit minus the outstanding amount of invoices due on or before as_of

    @property
    def enabled(self) -> bool:
        return self.access == "enabled"


@dataclass(frozen=True)
class AgingBucket:
    label: str  # "0-30", "31-60", "61-90", ">90"
    amount: int
    invoices: int


@dataclass(frozen=True)
class Receivable:
    invoice: Invoice
    days_past_due: int
    bucket: str


@dataclass(frozen=True)
class Receivables:
    as_of: date
    items: tuple[Receivable, ...]  # unpaid parts of invoices due on or before as_of
    buckets: tuple[AgingBucket, ...]  # always the four buckets, in order

    @property
    def total(self) -> int:
        return sum(bucket.amount for bucket in self.buckets)


def periods(customer: Customer, settings: Settings, until: date) -> tuple[Period, ...]:
    """The customer's billing periods that start on or before `until`."""
    raise NotImplementedError


def invoices(
    customer: Customer, state: State, entries: tuple[LedgerEntry, ...], as_of: date
) -> tuple[Invoice, ...]:
    """Invoices for periods started on or before as_of, with the ledger allocated."""
    raise NotImplementedError


def standing(state: State, customer_id: str, as_of: date) -> Standing:
    raise NotImplementedError


def standings(state: State, as_of: date) -> Mapping[str, Standing]:
    """Standing of every customer, keyed by customer id."""
    raise NotImplementedError


def receivables(state: State, as_of: date) -> Receivables:
    raise NotImplementedError


def rupiah(amount: int) -> str:
    """Rp150.000 — Indonesian thousands separator."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
