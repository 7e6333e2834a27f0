"""When a customer change may take effect (billing/changes.py): never inside a period
already billed. The dates are those the operator reads in `isk customer` refusals."""

from __future__ import annotations

import pytest

from isk_reconcile.billing.changes import (
    check_not_unbilling,
    check_profile_change,
    next_period_start,
    started_period,
)
from isk_reconcile.billing.engine import standing
from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Opening
from isk_reconcile.state.settings import BillingSettings, Settings
from tests.helpers.ledger import D, customer, make_state


def settings(cycle: str) -> Settings:
    return Settings(billing=BillingSettings(cycle=cycle))


def span(customer_, cycle: str, as_of: str) -> tuple[str, str, str] | None:
    """(start, end) of the latest period started on as_of, and the next period's start."""
    found = started_period(customer_, settings(cycle), D(as_of))
    following = next_period_start(customer_, settings(cycle), D(as_of)).isoformat()
    return None if found is None else (found.start.isoformat(), found.end.isoformat(), following)


@pytest.mark.parametrize(
    ("cycle", "start", "as_of", "expected"),
    [
        # 30-day periods from 01-15: 01-15, 02-14, 03-16, 04-15, ...
        ("30d", "2026-01-15", "2026-01-15", ("2026-01-15", "2026-02-13", "2026-02-14")),
        ("30d", "2026-01-15", "2026-02-20", ("2026-02-14", "2026-03-15", "2026-03-16")),
        ("30d", "2026-01-15", "2026-03-16", ("2026-03-16", "2026-04-14", "2026-04-15")),
        # monthly from Jan 31: clamped to Feb 28, back to the 31st in March
        ("monthly", "2026-01-31", "2026-02-10", ("2026-01-31", "2026-02-27", "2026-02-28")),
        ("monthly", "2026-01-31", "2026-03-05", ("2026-02-28", "2026-03-30", "2026-03-31")),
        ("monthly", "2026-01-31", "2026-04-29", ("2026-03-31", "2026-04-29", "2026-04-30")),
    ],
)
def test_the_started_period_and_the_next_start(cycle, start, as_of, expected):
    assert span(customer(start=start), cycle, as_of) == expected


def test_before_the_first_period_nothing_has_started_and_the_first_start_is_next():
    assert span(customer(start="2026-01-15"), "30d", "2026-01-10") is None
    assert next_period_start(customer(start="2026-01-15"), settings("30d"), D("2026-01-10")) == (
        D("2026-01-15")
    )


def test_an_adopted_customers_periods_count_from_the_day_after_the_settled_time():
    adopted = customer(start="2025-06-01", opening=Opening(paid_through=D("2026-01-14")))
    assert span(adopted, "30d", "2026-02-20") == ("2026-02-14", "2026-03-15", "2026-03-16")
    assert span(adopted, "monthly", "2026-02-20") == ("2026-02-15", "2026-03-14", "2026-03-15")


def test_a_profile_change_inside_a_billed_period_names_it_and_the_first_free_day():
    budi = customer(start="2026-01-15")
    with pytest.raises(IskError) as refused:
        check_profile_change(budi, settings("30d"), D("2026-03-01"), D("2026-02-20"))
    assert str(refused.value) == (
        "cannot change budi's profile from 2026-03-01: the period 2026-02-14 – 2026-03-15 "
        "is already billed; use --from 2026-03-16 or later"
    )
    check_profile_change(budi, settings("30d"), D("2026-03-16"), D("2026-02-20"))  # allowed


def test_a_hold_from_a_billed_periods_first_day_is_refused_the_day_after_is_not():
    budi = customer(start="2026-01-31")
    with pytest.raises(IskError) as refused:
        check_not_unbilling(budi, settings("monthly"), D("2026-02-28"), D("2026-03-05"), "hold")
    assert str(refused.value) == (
        "cannot hold from 2026-02-28: the period 2026-02-28 – 2026-03-30 is already billed; "
        "use 2026-03-01 or later"
    )
    check_not_unbilling(budi, settings("monthly"), D("2026-03-01"), D("2026-03-05"), "hold")


def test_a_profile_change_from_the_first_free_day_bills_that_period_at_the_new_profile():
    # The first day `check_profile_change` allows is the next period's start: that
    # period's invoice is the new package's, at its price, from its very first day.
    budi = customer(start="2026-01-15", profile_changes=(("2026-02-14", "home-20m"),))
    state = make_state([budi])
    check_profile_change(
        customer(start="2026-01-15"), state.settings, D("2026-02-14"), D("2026-02-01")
    )
    found = standing(state, "budi", D("2026-02-14"))
    assert [(i.id, i.profile, i.amount) for i in found.invoices] == [
        ("budi/2026-01-15", "home-10m", 150_000),
        ("budi/2026-02-14", "home-20m", 200_000),
    ]
    assert found.profile == "home-20m"
