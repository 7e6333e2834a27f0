"""Receivables (SPEC §3): the unpaid parts of invoices due on or before as_of, by age."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.billing.invoices import Invoice, unpaid_invoices
from isk_reconcile.state.model import State


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


AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    (">90", None),
)


# --- receivables and totals ---------------------------------------------------------------------


def aging_bucket(days_past_due: int) -> str:
    for label, limit in AGING_BUCKETS:
        if limit is None or days_past_due <= limit:
            return label
    raise AssertionError("the last bucket has no limit")


def receivables(
    state: State, as_of: date, by_customer: Mapping[str, Standing] | None = None
) -> Receivables:
    """Unpaid parts of invoices due on or before as_of, with aging.

    Pass `by_customer` (from `standings`) to avoid computing every standing again.
    """
    every = by_customer if by_customer is not None else standings(state, as_of)
    items = [  # (only the invoices with money outstanding are made: issue 12)
        Receivable(invoice, (as_of - invoice.due).days, aging_bucket((as_of - invoice.due).days))
        for one in every.values()
        for invoice in unpaid_invoices(one.invoices)
        if invoice.due <= as_of
    ]
    items.sort(key=lambda item: (item.invoice.due, item.invoice.id))
    amounts = dict.fromkeys((label for label, _ in AGING_BUCKETS), 0)
    counts = dict.fromkeys(amounts, 0)
    for item in items:
        amounts[item.bucket] += item.invoice.outstanding
        counts[item.bucket] += 1
    buckets = tuple(AgingBucket(label, amounts[label], counts[label]) for label in amounts)
    return Receivables(as_of=as_of, items=tuple(items), buckets=buckets)


@dataclass(frozen=True)
class CustomerReceivable:
    """One customer's unpaid, due money split by age."""

    customer: str
    buckets: Mapping[str, int]  # bucket label -> amount, all four labels
    invoices: int
    oldest_due: date

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def receivables_by_customer(owed: Receivables) -> tuple[CustomerReceivable, ...]:
    """Per-customer totals of `owed`, largest total first (then by id)."""
    grouped: dict[str, list[Receivable]] = {}
    for item in owed.items:
        grouped.setdefault(item.invoice.customer, []).append(item)
    rows = []
    for customer_id, items in grouped.items():
        amounts = dict.fromkeys((label for label, _ in AGING_BUCKETS), 0)
        for item in items:
            amounts[item.bucket] += item.invoice.outstanding
        oldest = min(item.invoice.due for item in items)
        rows.append(CustomerReceivable(customer_id, amounts, len(items), oldest))
    rows.sort(key=lambda row: (-row.total, row.customer))
    return tuple(rows)
