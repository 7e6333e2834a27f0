"""Billing invariants (SPEC §3), property-tested with hypothesis over one generated customer.

Money conservation, the independent model and whole-ISP strategies (many customers,
dated prices and profiles, mixed ledgers) are in tests/billing/test_engine_properties.py.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isk_reconcile.billing.engine import standing
from isk_reconcile.billing.periods import periods
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.settings import BillingSettings, Settings
from tests.helpers.examples import scaled
from tests.helpers.ledger import customer, make_state

EPOCH = date(2025, 1, 1)

# No deadlines: timing is not what these tests check, and the machine is shared.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

days = st.integers(min_value=0, max_value=700)
prices = st.integers(min_value=0, max_value=400_000)


@st.composite
def ledgers(draw, start: date) -> tuple[LedgerEntry, ...]:
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=-30, max_value=500),
                st.integers(min_value=1, max_value=2_000_000),
                st.sampled_from(["payment", "payment", "credit", "refund"]),
            ),
            max_size=12,
        )
    )
    return tuple(
        LedgerEntry(
            id=f"P-{n:04d}",
            customer="budi",
            amount=amount,
            date=start + timedelta(days=offset),
            kind=kind,
            method=None if kind == "credit" else "transfer",
        )
        for n, (offset, amount, kind) in enumerate(rows)
    )


@st.composite
def scenarios(draw) -> tuple[State, date]:
    """A state with one customer "budi" and an as-of date."""
    start = EPOCH + timedelta(days=draw(days))
    price_changes = draw(st.lists(st.tuples(days, prices), max_size=3))
    price = Dated(
        changes=tuple(
            [DatedChange(from_=date.min, value=draw(prices))]
            + [
                DatedChange(from_=EPOCH + timedelta(days=offset), value=value)
                for offset, value in sorted(dict(price_changes).items())
            ]
        )
    )
    status = draw(st.sampled_from(["active", "active", "active", "suspended", "terminated"]))
    end = start + timedelta(days=draw(days)) if status == "terminated" else None
    budi = customer(
        start=start.isoformat(),
        status=status,
        end=end,
        price=draw(
            st.none()
            | st.builds(lambda v: Dated(changes=(DatedChange(from_=date.min, value=v),)), prices)
        ),
    )
    state = State(
        settings=Settings(
            billing=BillingSettings(
                cycle=draw(st.sampled_from(["30d", "monthly"])),
                mode=draw(st.sampled_from(["prepaid", "postpaid"])),
                grace_days=draw(st.integers(min_value=0, max_value=10)),
            )
        ),
        routers={},
        profiles={"home-10m": Profile(name="home-10m", price=price)},
        customers={"budi": budi},
        ledger=draw(ledgers(start)),
    )
    as_of = start + timedelta(days=draw(st.integers(min_value=-10, max_value=500)))
    return state, as_of


@relaxed
@given(scenarios())
def test_paid_invoices_form_a_prefix_and_name_the_entry_that_completed_them(scenario):
    state, as_of = scenario
    found = standing(state, "budi", as_of)
    charged = [i for i in found.invoices if i.amount > 0]
    statuses = [i.status for i in charged]
    assert statuses == sorted(statuses, key=lambda s: s != "paid")
    assert sum(s == "partial" for s in statuses) <= 1
    by_id = {e.id: e for e in state.ledger}
    for invoice in charged:
        if invoice.status == "paid":
            assert invoice.paid_on is not None and invoice.paid_on <= as_of
            assert by_id[invoice.paid_by].date == invoice.paid_on
        else:
            assert invoice.paid_on is None


@relaxed
@given(scenarios())
def test_paying_every_invoice_never_leaves_the_account_suspended(scenario):
    state, as_of = scenario
    owed = sum(i.outstanding for i in standing(state, "budi", as_of).invoices)
    owed += max(0, -standing(state, "budi", as_of).credit)
    topped_up = state.ledger
    if owed > 0:
        payment = LedgerEntry(
            id="Z-FINAL", customer="budi", amount=owed, date=as_of, kind="payment", method="cash"
        )
        topped_up = (*state.ledger, payment)
    found = standing(replace(state, ledger=topped_up), "budi", as_of)
    assert all(i.status == "paid" for i in found.invoices)
    assert found.cause != "unpaid"
    if state.customers["budi"].status != "suspended":
        assert found.access != "suspended"
    if found.invoices and found.access != "absent":
        assert found.paid_through >= found.invoices[-1].period.end


@relaxed
@given(scenarios(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_ledger_or_file_order(scenario, rng):
    state, as_of = scenario
    shuffled = list(state.ledger)
    rng.shuffle(shuffled)
    other = replace(state, ledger=tuple(shuffled))
    assert standing(other, "budi", as_of) == standing(state, "budi", as_of)


@relaxed
@given(scenarios(), st.integers(min_value=1, max_value=400), prices)
def test_a_future_price_change_changes_no_past_invoice(scenario, ahead, new_price):
    state, as_of = scenario
    package = state.profiles["home-10m"]
    later = [c for c in package.price.changes if c.from_ > as_of]
    change_day = as_of + timedelta(days=ahead)
    if later:  # keep the list sorted: the new change comes before existing later ones
        change_day = min(change_day, later[0].from_ - timedelta(days=1))
        if change_day <= as_of:
            return
    kept = [c for c in package.price.changes if c.from_ <= as_of]
    rising = Dated(changes=(*kept, DatedChange(from_=change_day, value=new_price), *later))
    changed = replace(state, profiles={"home-10m": package.model_copy(update={"price": rising})})
    before = standing(state, "budi", as_of)
    after = standing(changed, "budi", as_of)
    assert after.invoices == before.invoices
    assert (after.access, after.cause, after.credit, after.balance) == (
        before.access,
        before.cause,
        before.credit,
        before.balance,
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.integers(1, 60))
@settings(max_examples=scaled(300), deadline=None)
def test_monthly_periods_are_contiguous_non_overlapping_and_anchored(start, months):
    anchored = customer(start=start.isoformat())
    monthly = Settings(billing=BillingSettings(cycle="monthly"))
    until = start + timedelta(days=31 * months)
    found = periods(anchored, monthly, until)
    assert found[0].start == start
    assert [p.index for p in found] == list(range(len(found)))
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)  # contiguous, no overlap
        assert before.start <= before.end
    for one in found:
        month_index = start.month - 1 + one.index
        year, month = start.year + month_index // 12, month_index % 12 + 1
        assert (one.start.year, one.start.month) == (year, month)
        assert one.start.day == min(start.day, calendar.monthrange(year, month)[1])
    assert found[-1].start <= until <= found[-1].end  # the last period is the one running


@relaxed
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.integers(0, 2000))
def test_thirty_day_periods_are_thirty_days_each(start, span):
    found = periods(customer(start=start.isoformat()), Settings(), start + timedelta(days=span))
    assert len(found) == span // 30 + 1
    assert all((p.end - p.start).days == 29 for p in found)


@relaxed
@given(scenarios())
def test_a_paid_up_prepaid_account_is_paid_through_today_or_later(scenario):
    state, as_of = scenario
    found = standing(state, "budi", as_of)
    if state.settings.billing.mode != "prepaid" or found.cause != "paid" or not found.invoices:
        return
    if all(i.status == "paid" for i in found.invoices):
        assert found.paid_through >= as_of
        assert found.reason.startswith(f"paid through {found.paid_through.isoformat()}")


def test_helpers_build_a_state_the_engine_accepts():
    state = make_state([customer()])
    assert standing(state, "budi", date(2026, 1, 15)).access == "enabled"
