"""Billing invariants over whole generated ISPs (SPEC §3), checked against an independent
model (tests/billing/model.py) rather than the engine's own identities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isk_reconcile.billing.engine import standing, standings
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from tests.billing.model import isps, model_standing

# No deadlines: timing is not what these tests check, and the machine is shared.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(isps())
def test_engine_agrees_with_the_independent_model(isp: tuple[State, date]) -> None:
    state, as_of = isp
    every = standings(state, as_of)
    assert set(every) == set(state.customers)
    for cid in state.customers:
        found, expected = every[cid], model_standing(state, cid, as_of)
        assert standing(state, cid, as_of) == found  # one customer or all: same answer
        shown = [(i.id, i.due, i.amount, i.paid) for i in found.invoices]
        assert shown == [(i.id, i.due, i.amount, i.paid) for i in expected.invoices], cid
        assert (found.credit, found.balance) == (expected.credit, expected.balance), cid
        assert (found.access, found.cause) == (expected.access, expected.cause), cid


@relaxed
@given(isps())
def test_money_is_conserved(isp: tuple[State, date]) -> None:
    """Every rupiah counted in the ledger is on an invoice or in credit, customer by
    customer and in total, with the ledger summed here from the raw entries."""
    state, as_of = isp
    every = standings(state, as_of)
    received: dict[str, int] = dict.fromkeys(state.customers, 0)
    for entry in state.ledger:
        if entry.date <= as_of:
            received[entry.customer] += -entry.amount if entry.kind == "refund" else entry.amount
    for cid, found in every.items():
        on_invoices = sum(invoice.paid for invoice in found.invoices)
        assert received[cid] == on_invoices + found.credit, cid
        assert found.credit == model_standing(state, cid, as_of).credit, cid
        for invoice in found.invoices:
            assert 0 <= invoice.paid <= invoice.amount
        if any(invoice.paid < invoice.amount for invoice in found.invoices):
            assert found.credit <= 0, cid  # credit never sits beside an unpaid invoice
    assert sum(received.values()) == sum(
        sum(i.paid for i in found.invoices) + found.credit for found in every.values()
    )


def overdue_past_grace(state: State, cid: str, as_of: date) -> list[str]:
    grace = timedelta(days=state.settings.billing.grace_days)
    return [
        invoice.id
        for invoice in standing(state, cid, as_of).invoices
        if invoice.outstanding > 0 and invoice.due + grace < as_of
    ]


def billed_normally(state: State, cid: str, as_of: date) -> bool:
    """In service on as_of and left to billing: not free, protected, suspended by hand or
    on hold."""
    customer = state.customers[cid]
    if customer.status == "terminated" and as_of > customer.end:
        return False
    return (
        as_of >= customer.start
        and customer.status in ("active", "terminated")
        and not customer.protect
        and customer.hold_on(as_of) is None
    )


@relaxed
@given(isps())
def test_unpaid_past_grace_means_suspended(isp: tuple[State, date]) -> None:
    state, as_of = isp
    for cid, found in standings(state, as_of).items():
        if not billed_normally(state, cid, as_of):
            continue
        overdue = overdue_past_grace(state, cid, as_of)
        if overdue:
            assert (found.access, found.cause) == ("suspended", "unpaid"), (cid, overdue)
            assert overdue[0] in found.reason
        else:
            assert (found.access, found.cause) == ("enabled", "paid"), cid


@relaxed
@given(isps(max_customers=8), st.data())
def test_paying_what_is_owed_restores_access(isp: tuple[State, date], data) -> None:
    """A payment of exactly what one suspended customer owes re-enables them, and a
    rupiah less does not."""
    state, as_of = isp
    unpaid = [cid for cid, s in standings(state, as_of).items() if s.cause == "unpaid"]
    if not unpaid:
        return
    cid = data.draw(st.sampled_from(unpaid))
    found = standing(state, cid, as_of)
    owed = sum(i.outstanding for i in found.invoices if i.due <= as_of) - min(found.credit, 0)
    assert owed > 0

    def paying(amount: int) -> State:
        entry = LedgerEntry(
            id="Z-PAY", customer=cid, amount=amount, date=as_of, kind="payment", method="cash"
        )
        return replace(state, ledger=(*state.ledger, entry))

    assert standing(paying(owed), cid, as_of).access == "enabled"
    assert standing(paying(owed), cid, as_of).balance == 0
    if owed > 1:
        short = standing(paying(owed - 1), cid, as_of)
        assert short.balance == -1
        assert short.access == "suspended" or overdue_past_grace(paying(owed - 1), cid, as_of) == []


@relaxed
@given(isps(max_customers=8), st.randoms(use_true_random=False))
def test_standings_do_not_depend_on_file_or_ledger_order(isp: tuple[State, date], rng) -> None:
    state, as_of = isp
    ids = list(state.customers)
    rng.shuffle(ids)
    ledger = list(state.ledger)
    rng.shuffle(ledger)
    other = replace(
        state, customers={cid: state.customers[cid] for cid in ids}, ledger=tuple(ledger)
    )
    assert dict(standings(other, as_of)) == dict(standings(state, as_of))
