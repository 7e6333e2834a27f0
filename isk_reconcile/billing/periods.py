"""Billing periods (SPEC §3): where each of a customer's periods starts and ends.

Every start is computed from the customer's anchor (`billing_start`), never chained, so a
monthly period that starts on the 31st comes back to the 31st after a short month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from isk_reconcile.state.customers import Customer
from isk_reconcile.state.settings import Settings


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date  # inclusive: the day before the next period starts


# --- periods ------------------------------------------------------------------------------


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by whole calendar months, clamped to the month's last day."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor.day, days_in_month(year, month)))


def period_start(customer: Customer, settings: Settings, index: int) -> date:
    """Start of period `index`, always computed from the anchor (never chained)."""
    if settings.billing.cycle == "monthly":
        return add_months(customer.billing_start, index)
    return customer.billing_start + timedelta(days=30 * index)


def period(customer: Customer, settings: Settings, index: int) -> Period:
    next_start = period_start(customer, settings, index + 1)
    return Period(index, period_start(customer, settings, index), next_start - timedelta(days=1))


def _last_billable_day(customer: Customer) -> date | None:
    """No period starts after this day (None: no limit)."""
    return customer.end if customer.status == "terminated" else None


def period_count(customer: Customer, settings: Settings, until: date) -> int:
    """How many periods start on or before `until` (ignoring termination)."""
    anchor = customer.billing_start
    if until < anchor:
        return 0
    if settings.billing.cycle == "monthly":
        last = (until.year - anchor.year) * 12 + until.month - anchor.month
        if add_months(anchor, last) > until:
            last -= 1
        return last + 1
    return (until - anchor).days // 30 + 1


def periods(customer: Customer, settings: Settings, until: date) -> tuple[Period, ...]:
    """The customer's billing periods that start on or before `until`."""
    return tuple(periods_from(customer, settings, 0, until))


def periods_from(
    customer: Customer, settings: Settings, first_index: int, until: date
) -> Iterator[Period]:
    if customer.status == "free":
        return
    last_day = _last_billable_day(customer)
    if last_day is not None:
        until = min(until, last_day)
    count = period_count(customer, settings, until)
    if first_index >= count:
        return
    one_day = timedelta(days=1)
    monthly = settings.billing.cycle == "monthly"
    starts = _starts(customer.billing_start, monthly, first_index, count + 1)
    start = next(starts)
    for index, next_start in enumerate(starts, first_index):
        yield Period(index, start, next_start - one_day)
        start = next_start


def _starts(anchor: date, monthly: bool, first: int, stop: int) -> Iterator[date]:
    """period_start for the indexes first..stop-1, each from the anchor (never chained),
    without a call per period (billing walks 190,000 of them for 10,000 customers)."""
    if not monthly:
        for index in range(first, stop):
            yield anchor + timedelta(days=30 * index)
        return
    year, month0, day = anchor.year, anchor.month - 1, anchor.day
    for index in range(first, stop):
        years, month = divmod(month0 + index, 12)
        month += 1
        # days 1-28 exist in every month: only later days need clamping
        yield date(
            year + years, month, day if day <= 28 else min(day, days_in_month(year + years, month))
        )
