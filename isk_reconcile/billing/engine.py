"""Billing engine (SPEC §3): each customer's standing on `as_of` (enabled, suspended or
absent, with the reason) as a pure function of (State, as_of).

The parts live beside it: `periods` (billing periods), `invoices` (invoices and the
allocation of the ledger), `receivables` (unpaid money by age).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from types import MappingProxyType
from typing import Literal

from isk_reconcile.billing.invoices import Invoice, Memo, _Account, _account
from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.lazyledger import billing_rows
from isk_reconcile.state.ledger import Entry
from isk_reconcile.state.model import State

# What the router must do with the account on as_of.
Access = Literal["absent", "enabled", "suspended"]
# Why, as a stable machine-readable word (the human sentence is Standing.reason).
Cause = Literal[
    "not-started",  # as_of < start: the account must not exist yet
    "terminated",  # terminated and as_of > end: the account must not exist
    "free",  # status free: always enabled, never billed
    "protected",  # protect: true: always enabled
    "manual",  # status suspended: suspended by hand
    "hold",  # a billing pause covers as_of: suspended, nothing billed meanwhile
    "unpaid",  # an invoice is unpaid past due + grace
    "paid",  # everything due is paid (or still within grace)
]


@dataclass(frozen=True)
class Standing:
    """A customer's billing position and required access on `as_of`."""

    customer: str
    as_of: date
    access: Access
    cause: Cause
    # A sentence a person can check, e.g.
    # "unpaid invoice budi/2026-11-15 (Rp150.000) due 2026-11-15, grace ended 2026-11-18".
    reason: str
    profile: str | None  # the customer's profile on as_of (None when the account is absent)
    # periods started on or before as_of, oldest first (billing.invoices.Invoices: made
    # when first looked at, equal to the tuple of them)
    invoices: Sequence[Invoice]
    paid_through: (
        date | None
    )  # None for free customers; start - 1 day when the first period is unpaid
    credit: int  # money left over after allocation (pays future periods)
    balance: int  # credit minus the outstanding amount of invoices due on or before as_of

    @property
    def enabled(self) -> bool:
        return self.access == "enabled"


# --- standing ---------------------------------------------------------------------------------


def _unpaid_words(invoice: Invoice) -> str:
    if invoice.paid > 0:
        return f"{rupiah(invoice.outstanding)} of {rupiah(invoice.amount)} outstanding"
    return rupiah(invoice.amount)


def _standing(
    state: State,
    customer: Customer,
    as_of: date,
    counted: tuple[Entry, ...] | None = None,
    memo: Memo | None = None,
) -> Standing:
    entries = state.entries_for(customer.id) if counted is None else ()
    account = _account(customer, state, entries, as_of, counted=counted, memo=memo)
    billed, unpaid = account.invoices, account.unpaid  # billed: made only if looked at
    outstanding_due = 0
    for invoice in unpaid:  # a paid invoice owes nothing
        if invoice.due <= as_of:
            outstanding_due += invoice.amount - invoice.paid

    def make(access: Access, cause: Cause, reason: str) -> Standing:
        return Standing(
            customer=customer.id,
            as_of=as_of,
            access=access,
            cause=cause,
            reason=reason,
            profile=None if access == "absent" else customer.profile_on(as_of),
            invoices=billed,
            paid_through=account.paid_through,
            credit=account.credit,
            balance=account.credit - outstanding_due,
        )

    found = _by_status(customer, as_of) or _by_payment(account, unpaid, as_of, state)
    return make(*found)


Verdict = tuple[Access, Cause, str]


def _by_status(customer: Customer, as_of: date) -> Verdict | None:
    """What the customer file alone decides, before money is looked at (in this order:
    not yet or no longer a customer, free, protected, suspended by hand, on hold)."""
    if customer.status == "terminated" and customer.end is not None and as_of > customer.end:
        return "absent", "terminated", f"terminated on {customer.end.isoformat()}"
    if as_of < customer.start:
        return "absent", "not-started", f"service starts {customer.start.isoformat()}"
    if customer.status == "free":
        return "enabled", "free", "free account"
    if customer.protect:
        return "enabled", "protected", "protected: never suspended by the reconciler"
    if customer.status == "suspended":
        why = customer.suspend_reason.strip()
        return "suspended", "manual", f"suspended by hand: {why}" if why else "suspended by hand"
    hold = customer.hold_on(as_of)
    if hold is not None:
        until = f"until {hold.until.isoformat()}" if hold.until else "until further notice"
        return "suspended", "hold", f"on hold from {hold.from_.isoformat()} {until}: {hold.reason}"
    return None


def _by_payment(
    account: _Account, unpaid: tuple[Invoice, ...], as_of: date, state: State
) -> Verdict:
    """Suspended once the oldest overdue invoice is past its grace; enabled otherwise."""
    grace = timedelta(days=state.settings.billing.grace_days)
    in_grace: Invoice | None = None
    for invoice in unpaid:  # oldest first: the oldest overdue invoice is the reason
        if invoice.due > as_of:
            continue
        grace_end = invoice.due + grace
        if as_of > grace_end:
            return (
                "suspended",
                "unpaid",
                f"unpaid invoice {invoice.id} ({_unpaid_words(invoice)}) due "
                f"{invoice.due.isoformat()}, grace ended {grace_end.isoformat()}",
            )
        in_grace = in_grace or invoice
    if in_grace is not None:
        return (
            "enabled",
            "paid",
            f"invoice {in_grace.id} ({_unpaid_words(in_grace)}) due {in_grace.due.isoformat()} "
            f"unpaid, grace until {(in_grace.due + grace).isoformat()}",
        )
    return "enabled", "paid", _paid_words(account)


def _paid_words(account: _Account) -> str:
    assert account.paid_through is not None
    first = account.first_start
    if first is not None and account.paid_through >= first:
        by = f" ({account.paid_through_entry})" if account.paid_through_entry else ""
        return f"paid through {account.paid_through.isoformat()}{by}"
    upcoming = account.unpaid[0] if account.unpaid else None
    if upcoming is not None:  # postpaid: the running period is billed later
        return f"nothing due yet: invoice {upcoming.id} due {upcoming.due.isoformat()}"
    return "nothing due yet"


def standing(state: State, customer_id: str, as_of: date) -> Standing:
    customer = state.customers.get(customer_id)
    if customer is None:
        raise IskError(f"no such customer: {customer_id}")
    return _standing(state, customer, as_of)


def standings(state: State, as_of: date) -> Mapping[str, Standing]:
    """Standing of every customer, keyed by customer id.

    Linear in the ledger: the counted entries are sorted once for everyone (not once per
    customer), and package prices are looked up once per (package, day). Nothing is kept:
    callers compute them once and pass them down (a plan carries its own to apply)."""
    with collector_paused():
        result = MappingProxyType(_standings(state, as_of))
        freeze_if_large(len(state.customers) + len(state.ledger))
    return result


def _standings(state: State, as_of: date) -> dict[str, Standing]:
    counted: dict[str, list[Entry]] = {}
    for entry in sorted(
        (entry for entry in billing_rows(state.ledger) if entry.date <= as_of),
        key=attrgetter("date", "id"),
    ):
        counted.setdefault(entry.customer, []).append(entry)
    memo = Memo()
    return {
        cid: _standing(state, customer, as_of, tuple(counted.get(cid, ())), memo)
        for cid, customer in sorted(state.customers.items())
    }


def rupiah(amount: int) -> str:
    """Rp150.000 — Indonesian thousands separator."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
