"""An independent model of SPEC §3 billing, and hypothesis strategies for whole ISPs.

The model is written from the spec, not from `billing/engine.py`: periods are stepped
with `calendar.monthrange` from the billing start (the day after an opening balance),
prices looked up by scanning the dated lists, a period's charge computed day by day
(every day of it on hold or after the end: not billed; `billing.prorate`: the sum of
each billable day's price over the period's length, rounded half up with exact
fractions; else the first day's price), and the ledger allocated as the spec words it
("invoice i is paid iff the running total covers invoices 1..i together"). Property
tests compare the engine with it; the engine's own identities (credit = total -
allocated) are never the reference.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import strategies as st

from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer, Hold, Opening
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


def on_hold(customer: Customer, day: date) -> bool:
    return any(
        hold.from_ <= day and (hold.until is None or day <= hold.until) for hold in customer.holds
    )


def model_charge(customer: Customer, state: State, start: date, following: date) -> int | None:
    """What the period [start, following) costs; None: not billed at all."""
    days = [start + timedelta(days=n) for n in range((following - start).days)]
    served = [
        day
        for day in days
        if not on_hold(customer, day)
        and not (customer.status == "terminated" and day > customer.end)
    ]
    if not served:
        return None
    if not state.settings.billing.prorate:
        return amount_on(customer, state, start)
    exact = Fraction(sum(amount_on(customer, state, day) for day in served), len(days))
    return math.floor(exact + Fraction(1, 2))


def model_standing(state: State, customer_id: str, as_of: date) -> ModelStanding:
    customer = state.customers[customer_id]
    billing = state.settings.billing
    total = sum(signed(e) for e in state.ledger if e.customer == customer_id and e.date <= as_of)
    anchor = customer.start
    if customer.opening is not None:
        anchor = customer.opening.paid_through + timedelta(days=1)
    last = as_of
    if customer.status == "terminated":
        last = min(last, customer.end)
    bills: list[ModelInvoice] = []
    covered = total  # what is left to cover invoices, oldest first
    index = 0
    while customer.status != "free" and nth_start(anchor, billing.cycle, index) <= last:
        start = nth_start(anchor, billing.cycle, index)
        following = nth_start(anchor, billing.cycle, index + 1)
        index += 1
        amount = model_charge(customer, state, start, following)
        if amount is None:
            continue
        due = following if billing.mode == "postpaid" else start
        paid = min(amount, max(covered, 0))
        covered -= amount
        bills.append(ModelInvoice(f"{customer_id}/{start.isoformat()}", start, due, amount, paid))
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
    if on_hold(customer, as_of):
        return "suspended", "hold"
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
def holds(draw, start: date) -> tuple[Hold, ...]:
    """Up to two billing pauses after `start`, oldest first, not overlapping; the last
    one maybe open-ended."""
    cuts = sorted(draw(st.lists(st.integers(0, 500), max_size=4, unique=True)))
    pauses = [
        Hold(from_=start + timedelta(days=a), until=start + timedelta(days=b), reason="away")
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
    ]
    if len(cuts) % 2 and draw(st.booleans()):
        pauses.append(Hold(from_=start + timedelta(days=cuts[-1] + 1), reason="away"))
    return tuple(pauses)


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
    settled = draw(st.none() | st.none() | st.none() | st.integers(-1, 120))
    opening = None if settled is None else Opening(paid_through=start + timedelta(days=settled))
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
        opening=opening,
        holds=draw(st.none() | holds(start)) or (),
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
    """A whole ISP: many customers on dated packages (some with holds or an opening
    balance), a mixed ledger, either cycle and mode, billed in full or by the day, and an
    as-of date anywhere from before the first start to years later."""
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
                prorate=draw(st.booleans()),
            )
        ),
        routers={},
        profiles=profiles,
        customers={cid: draw(customers(cid)) for cid in ids},
        ledger=draw(ledgers(ids)),
    )
    as_of = EPOCH + timedelta(days=draw(st.integers(min_value=-10, max_value=1100)))
    return state, as_of
