"""When a change to a customer may take effect without rewriting billed periods.

A period is billed once it has started (its invoice is issued on its first day). The
customer commands (`isk customer set-profile|hold|terminate`) ask these pure rules
before they write, so money already invoiced only ever changes through the ledger.
"""

from __future__ import annotations

from datetime import date, timedelta

from isk_reconcile.billing.periods import Period, period, period_count, period_start
from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.settings import Settings


def started_period(customer: Customer, settings: Settings, as_of: date) -> Period | None:
    """The latest period that has started on `as_of` (None before the first one)."""
    count = period_count(customer, settings, as_of)
    return period(customer, settings, count - 1) if count else None


def next_period_start(customer: Customer, settings: Settings, as_of: date) -> date:
    """The first day of the first period that has not started on `as_of`."""
    return period_start(customer, settings, period_count(customer, settings, as_of))


def _billed(billed: Period) -> str:
    return f"the period {billed.start} – {billed.end} is already billed"


def check_profile_change(customer: Customer, settings: Settings, day: date, as_of: date) -> None:
    """A new profile may start on the first unbilled period's start or later."""
    first_free = next_period_start(customer, settings, as_of)
    if day < first_free:
        current = started_period(customer, settings, day if day >= customer.start else as_of)
        where = _billed(current) if current else "it is before the billing start"
        raise IskError(
            f"cannot change {customer.id}'s profile from {day}: {where}; "
            f"use --from {first_free} or later"
        )
    last = customer.profile.changes[-1].from_
    if day <= last:
        raise IskError(
            f"{customer.id}'s profile already changes on {last}: --from must be later "
            "(or edit the dated entry by hand)"
        )


def check_not_unbilling(
    customer: Customer, settings: Settings, day: date, as_of: date, what: str
) -> None:
    """A hold from `day` or a termination ending the day before `day` must leave every
    started period billed: `day` may not be on or before the current period's start."""
    current = started_period(customer, settings, as_of)
    if current is not None and day <= current.start:
        raise IskError(
            f"cannot {what} from {day}: {_billed(current)}; "
            f"use {current.start + timedelta(days=1)} or later"
        )
