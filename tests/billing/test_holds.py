"""Holds (billing pauses), termination and upgrades mid-period, billed in full or by the day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from isk_reconcile.billing.engine import standing
from isk_reconcile.billing.invoices import Invoice
from isk_reconcile.billing.report_types import category
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer, Hold
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.settings import BillingSettings, Settings
from tests.helpers.examples import scaled

D = date.fromisoformat
PRICE = 150_000


def state_of(customer: Customer, *, prorate: bool, ledger: tuple[LedgerEntry, ...] = ()) -> State:
    prices = {"home": PRICE, "fast": 300_000}
    profiles = {
        name: Profile(name=name, price=Dated(changes=(DatedChange(from_=date.min, value=price),)))
        for name, price in prices.items()
    }
    billing = BillingSettings(cycle="30d", mode="prepaid", grace_days=3, prorate=prorate)
    return State(
        settings=Settings(billing=billing),
        routers={},
        profiles=profiles,
        customers={customer.id: customer},
        ledger=ledger,
    )


def budi(*holds: Hold, start: str = "2026-01-01", **fields: object) -> Customer:
    profile = fields.pop("profile", Dated(changes=(DatedChange(from_=D(start), value="home"),)))
    return Customer(
        id="budi", name="Budi", router="r1", start=D(start), profile=profile, holds=holds, **fields
    )


def hold(start: str, until: str | None, reason: str = "abroad") -> Hold:
    return Hold(from_=D(start), until=D(until) if until else None, reason=reason)


def invoices(state: State, as_of: str) -> tuple[Invoice, ...]:
    return standing(state, "budi", D(as_of)).invoices


def amounts(state: State, as_of: str) -> dict[str, int]:
    return {i.period.start.isoformat(): i.amount for i in invoices(state, as_of)}


def test_periods_wholly_on_hold_are_not_billed_and_the_account_is_suspended() -> None:
    # 30-day periods from 2026-01-01: 01-31, 03-02, 04-01, 05-01, ...
    paused = budi(hold("2026-01-31", "2026-04-30"))
    for prorate in (False, True):
        billed = amounts(state_of(paused, prorate=prorate), "2026-05-15")
        assert billed == {"2026-01-01": PRICE, "2026-05-01": PRICE}
    during = standing(state_of(paused, prorate=False), "budi", D("2026-03-10"))
    assert (during.access, during.cause, category(during)) == ("suspended", "hold", "on-hold")
    assert during.reason == "on hold from 2026-01-31 until 2026-04-30: abroad"


def test_a_period_partly_on_hold_is_billed_in_full_or_by_the_day() -> None:
    # 2026-01-31..03-01 (30 days) with 10 days on hold from 02-20
    paused = budi(hold("2026-02-20", "2026-03-01"))
    assert amounts(state_of(paused, prorate=False), "2026-02-01")["2026-01-31"] == PRICE
    assert amounts(state_of(paused, prorate=True), "2026-02-01")["2026-01-31"] == PRICE * 20 // 30


def test_an_open_hold_bills_nothing_more_and_stays_suspended() -> None:
    paused = budi(hold("2026-03-02", None))
    billed = amounts(state_of(paused, prorate=False), "2026-12-31")
    assert list(billed) == ["2026-01-01", "2026-01-31"]
    later = standing(state_of(paused, prorate=False), "budi", D("2026-12-31"))
    assert later.reason == "on hold from 2026-03-02 until further notice: abroad"


def test_termination_mid_period_prorated_only_when_asked() -> None:
    leaving = budi(status="terminated", end=D("2026-02-09"))  # 10 days of 01-31..03-01
    assert amounts(state_of(leaving, prorate=False), "2026-03-01")["2026-01-31"] == PRICE
    assert amounts(state_of(leaving, prorate=True), "2026-03-01")["2026-01-31"] == 50_000


def test_an_upgrade_mid_period_counts_from_the_next_period_or_from_its_day() -> None:
    changes = (
        DatedChange(from_=D("2026-01-01"), value="home"),
        DatedChange(from_=D("2026-01-16"), value="fast"),
    )
    upgraded = budi(profile=Dated(changes=changes))
    assert amounts(state_of(upgraded, prorate=False), "2026-02-01") == {
        "2026-01-01": PRICE, "2026-01-31": 300_000,
    }  # fmt: skip
    # 15 days at 150.000/30 and 15 days at 300.000/30
    assert amounts(state_of(upgraded, prorate=True), "2026-01-20")["2026-01-01"] == 225_000


def test_a_package_price_change_mid_period_is_billed_by_the_day_hold_or_no_hold() -> None:
    """Found by the independent model: by the day, a package's new price counted from its
    day only for customers who had a hold somewhere (even years away); the others paid
    the first day's price for the whole period."""
    rise = Dated(
        changes=(
            DatedChange(from_=date.min, value=PRICE),
            DatedChange(from_=D("2026-01-16"), value=300_000),
        )
    )

    def with_rise(customer: Customer, prorate: bool) -> State:
        state = state_of(customer, prorate=prorate)
        return replace(state, profiles={**state.profiles, "home": Profile(name="home", price=rise)})

    far_hold = hold("2027-06-01", "2027-06-10")
    for customer in (budi(), budi(far_hold)):
        # 15 days at 150.000/30 and 15 days at 300.000/30; in full: the first day's price
        assert amounts(with_rise(customer, True), "2026-01-20")["2026-01-01"] == 225_000
        assert amounts(with_rise(customer, False), "2026-01-20")["2026-01-01"] == PRICE


def test_an_upgrade_on_a_periods_last_day_is_billed_for_that_day_by_the_day() -> None:
    changes = (
        DatedChange(from_=D("2026-01-01"), value="home"),
        DatedChange(from_=D("2026-01-30"), value="fast"),  # 01-01..01-30: the last day
    )
    upgraded = budi(profile=Dated(changes=changes))
    # 29 days at 150.000/30 and 1 day at 300.000/30; in full: the first day's price
    assert amounts(state_of(upgraded, prorate=True), "2026-01-20")["2026-01-01"] == 155_000
    assert amounts(state_of(upgraded, prorate=False), "2026-01-20")["2026-01-01"] == PRICE


def test_an_own_price_on_a_package_without_a_price_is_billed_by_the_day() -> None:
    # "bare" is not sellable (no price); budi has his own price, raised on 01-16.
    own = Dated(changes=(DatedChange(from_=D("2026-01-01"), value=100_000),
                         DatedChange(from_=D("2026-01-16"), value=120_000)))  # fmt: skip
    on_bare = budi(profile=Dated(changes=(DatedChange(from_=D("2026-01-01"), value="bare"),)),
                   price=own)  # fmt: skip
    for prorate, billed in ((True, 110_000), (False, 100_000)):  # 15 days at each, or in full
        state = state_of(on_bare, prorate=prorate)
        state = replace(state, profiles={**state.profiles, "bare": Profile(name="bare")})
        assert amounts(state, "2026-01-20") == {"2026-01-01": billed}


def test_a_prorated_amount_is_rounded_to_the_nearest_rupiah_half_up() -> None:
    monthly = Settings(billing=BillingSettings(cycle="monthly", prorate=True))
    # January has 31 days: 19 days at 150.000 are 91.935,48 and 18 days are 87.096,77
    for end, billed in (("2026-01-19", 91_935), ("2026-01-18", 87_097)):
        leaving = budi(status="terminated", end=D(end))
        state = replace(state_of(leaving, prorate=True), settings=monthly)
        assert amounts(state, "2026-01-20") == {"2026-01-01": billed}


def test_credit_paid_ahead_reaches_past_a_future_hold() -> None:
    # Periods 01-01, 01-31, 03-02 (wholly on hold: costs nothing), 04-01. Three prices
    # paid on day one cover 01-01, 01-31 and, across the hold, 04-01..04-30.
    paused = budi(hold("2026-03-02", "2026-03-31"))
    ledger = (LedgerEntry(id="P-1", customer="budi", amount=3 * PRICE, date=D("2026-01-01"),
                          kind="payment", method="cash"),)  # fmt: skip
    found = standing(state_of(paused, prorate=False, ledger=ledger), "budi", D("2026-01-10"))
    assert (found.paid_through, found.reason) == (D("2026-04-30"), "paid through 2026-04-30 (P-1)")


def test_holds_may_not_overlap_or_come_before_start() -> None:
    with pytest.raises(ValidationError, match="overlaps"):
        budi(hold("2026-02-01", "2026-02-28"), hold("2026-02-15", "2026-03-15"))
    with pytest.raises(ValidationError, match="overlaps"):
        budi(hold("2026-02-01", None), hold("2026-05-01", "2026-05-31"))
    with pytest.raises(ValidationError, match="before start"):
        budi(hold("2025-12-01", "2026-01-10"))
    with pytest.raises(ValidationError, match="before from"):
        hold("2026-03-01", "2026-02-01")


def test_paying_during_a_hold_resumes_with_credit_not_debt() -> None:
    paused = budi(hold("2026-01-31", "2026-03-31"))
    ledger = (LedgerEntry(id="P-1", customer="budi", amount=2 * PRICE, date=D("2026-01-01"),
                          kind="payment", method="cash"),)  # fmt: skip
    after = standing(state_of(paused, prorate=False, ledger=ledger), "budi", D("2026-04-05"))
    assert after.access == "enabled"
    assert [i.status for i in after.invoices] == ["paid", "paid"]  # 01-01 and 04-01


# --- properties ----------------------------------------------------------------------------

DAY0 = D("2026-01-01")
days = st.integers(min_value=0, max_value=400)


@st.composite
def hold_lists(draw: st.DrawFn) -> tuple[Hold, ...]:
    """Up to four non-overlapping holds after the start, the last maybe open-ended."""
    cuts = sorted(draw(st.lists(days, min_size=0, max_size=8, unique=True)))
    holds = []
    for first, last in zip(cuts[::2], cuts[1::2], strict=False):
        holds.append(
            hold((DAY0 + timedelta(first)).isoformat(), (DAY0 + timedelta(last)).isoformat())
        )
    if len(cuts) % 2 and draw(st.booleans()):
        holds.append(hold((DAY0 + timedelta(cuts[-1] + 1)).isoformat(), None))
    return tuple(holds)


@settings(max_examples=scaled(150), deadline=None)
@given(holds=hold_lists(), as_of=days, prorate=st.booleans())
def test_holds_never_bill_more_and_a_period_on_hold_is_never_billed(
    holds: tuple[Hold, ...], as_of: int, prorate: bool
) -> None:
    day = (DAY0 + timedelta(as_of)).isoformat()
    plain = amounts(state_of(budi(), prorate=prorate), day)
    paused_state = state_of(budi(*holds), prorate=prorate)
    paused = amounts(paused_state, day)
    assert set(paused) <= set(plain)
    for start, amount in paused.items():
        assert 0 < amount <= plain[start]
        assert prorate or amount == plain[start]  # in full unless billed by the day
    for billed in invoices(paused_state, day):
        span = [billed.period.start + timedelta(n) for n in range(30)]
        assert not all(any(h.covers(d) for h in holds) for d in span)
    on_hold = any(h.covers(D(day)) for h in holds)
    assert (standing(paused_state, "budi", D(day)).cause == "hold") == on_hold
