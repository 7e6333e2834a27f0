"""An independent model of SPEC §3 billing, and hypothesis strategies for whole ISPs.

The model is written from the spec, not from `billing/engine.py`: periods are stepped
with `calendar.monthrange`, prices looked up by scanning the dated lists, and the
ledger allocated as the spec words it ("invoice i is paid iff the running total covers
invoices 1..i together"). Property tests compare the engine with it; the engine's own
identities (credit = total - allocated) are never the reference.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.settings import BillingSettings, Settings

EPOCH = date(2025, 1, 1)
PACKAGES = ("home-10m", "home-20m", "biz-50m")


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInvoice:
    id: str
    start: date
    due: date
    amount: int
    paid: int


@dataclass(frozen=True)
class ModelStanding:
    invoices: tuple[ModelInvoice, ...]
    total: int  # signed sum of the customer's entries dated on or before as_of
    credit: int
    balance: int
    access: str
    cause: str


def shifted_months(anchor: date, months: int) -> date:
    year = anchor.year + (anchor.month - 1 + months) // 12
    month = (anchor.month - 1 + months) % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def nth_start(anchor: date, cycle: str, index: int) -> date:
    if cycle == "monthly":
        return shifted_months(anchor, index)
    return anchor + timedelta(days=30 * index)


def value_on(changes: tuple[DatedChange, ...], day: date):
    found = None
    for change in changes:
        if change.from_ <= day:
            found = change.value
    return found


def amount_on(customer: Customer, state: State, day: date) -> int:
    if customer.price is not None:
        own = value_on(customer.price.changes, day)
        if own is not None:
            return own
    package = state.profiles[value_on(customer.profile.changes, day)]
    price = value_on(package.price.changes, day) if package.price is not None else None
    return price or 0


def signed(entry: LedgerEntry) -> int:
    return -entry.amount if entry.kind == "refund" else entry.amount


def model_standing(state: State, customer_id: str, as_of: date) -> ModelStanding:
    customer = state.customers[customer_id]
    billing = state.settings.billing
    total = sum(signed(e) for e in state.ledger if e.customer == customer_id and e.date <= as_of)
    last = as_of
    if customer.status == "terminated":
        last = min(last, customer.end)
    bills: list[ModelInvoice] = []
    covered = total  # what is left to cover invoices, oldest first
    index = 0
    while customer.status != "free" and nth_start(customer.start, billing.cycle, index) <= last:
        start = nth_start(customer.start, billing.cycle, index)
        following = nth_start(customer.start, billing.cycle, index + 1)
        due = following if billing.mode == "postpaid" else start
        amount = amount_on(customer, state, start)
        paid = min(amount, max(covered, 0))
        covered -= amount
        bills.append(ModelInvoice(f"{customer_id}/{start.isoformat()}", start, due, amount, paid))
        index += 1
    credit = total - sum(bill.paid for bill in bills)
    overdue = sum(bill.amount - bill.paid for bill in bills if bill.due <= as_of)
    access, cause = model_access(state, customer, as_of, bills)
    return ModelStanding(tuple(bills), total, credit, credit - overdue, access, cause)


def model_access(
    state: State, customer: Customer, as_of: date, bills: list[ModelInvoice]
) -> tuple[str, str]:
    if customer.status == "terminated" and as_of > customer.end:
        return "absent", "terminated"
    if as_of < customer.start:
        return "absent", "not-started"
    if customer.status == "free":
        return "enabled", "free"
    if customer.protect:
        return "enabled", "protected"
    if customer.status == "suspended":
        return "suspended", "manual"
    grace = timedelta(days=state.settings.billing.grace_days)
    if any(bill.paid < bill.amount and bill.due + grace < as_of for bill in bills):
        return "suspended", "unpaid"
    return "enabled", "paid"


# --- strategies -------------------------------------------------------------------------------

offsets = st.integers(min_value=0, max_value=600)
prices = st.integers(min_value=0, max_value=400_000)


@st.composite
def dated_prices(draw, first: date, base: date) -> Dated:
    """A price list from `first`, with up to three changes `base` + 1..700 days later (a
    rise, a cut, a free month: 0 is a price too)."""
    later = draw(st.dictionaries(st.integers(1, 700), prices, max_size=3))
    changes = [DatedChange(from_=first, value=draw(prices))]
    changes += [
        DatedChange(from_=base + timedelta(days=d), value=v) for d, v in sorted(later.items())
    ]
    return Dated(changes=tuple(changes))


@st.composite
def customers(draw, cid: str) -> Customer:
    start = EPOCH + timedelta(days=draw(offsets))
    switches = draw(st.dictionaries(st.integers(1, 400), st.sampled_from(PACKAGES), max_size=2))
    profile = [DatedChange(from_=start, value=draw(st.sampled_from(PACKAGES)))]
    profile += [
        DatedChange(from_=start + timedelta(days=d), value=name)
        for d, name in sorted(switches.items())
    ]
    status = draw(st.sampled_from(["active"] * 6 + ["suspended", "terminated", "free"]))
    end = start + timedelta(days=draw(st.integers(0, 400))) if status == "terminated" else None
    own_price = draw(st.none() | st.none() | dated_prices(start, start))
    return Customer(
        id=cid,
        name=cid.title(),
        router="core",
        start=start,
        profile=Dated(changes=tuple(profile)),
        price=own_price,
        status=status,
        end=end,
        protect=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def ledgers(draw, ids: list[str]) -> tuple[LedgerEntry, ...]:
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.integers(min_value=0, max_value=900),
                st.integers(min_value=1, max_value=1_500_000),
                st.sampled_from(["payment", "payment", "payment", "credit", "refund"]),
            ),
            max_size=60,
        )
    )
    return tuple(
        LedgerEntry(
            id=f"P-{n:04d}",
            customer=cid,
            amount=amount,
            date=EPOCH + timedelta(days=offset),
            kind=kind,
            method=None if kind == "credit" else "transfer",
        )
        for n, (cid, offset, amount, kind) in enumerate(rows)
    )


@st.composite
def isps(draw, max_customers: int = 25) -> tuple[State, date]:
    """A whole ISP: many customers on dated packages, a mixed ledger, either cycle and
    mode, and an as-of date anywhere from before the first start to years later."""
    count = draw(st.integers(min_value=1, max_value=max_customers))
    ids = [f"c{n:03d}" for n in range(count)]
    profiles = {
        name: Profile(name=name, price=draw(dated_prices(date.min, EPOCH)), rate_limit="10M/10M")
        for name in PACKAGES
    }
    state = State(
        settings=Settings(
            billing=BillingSettings(
                cycle=draw(st.sampled_from(["30d", "monthly"])),
                mode=draw(st.sampled_from(["prepaid", "postpaid"])),
                grace_days=draw(st.integers(min_value=0, max_value=10)),
            )
        ),
        routers={},
        profiles=profiles,
        customers={cid: draw(customers(cid)) for cid in ids},
        ledger=draw(ledgers(ids)),
    )
    as_of = EPOCH + timedelta(days=draw(st.integers(min_value=-10, max_value=1100)))
    return state, as_of
