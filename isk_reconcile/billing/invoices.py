"""Invoices and the allocation of the ledger (SPEC §3), pure functions of (State, as_of).

The allocation model ("cumulative money"): a customer's ledger entries dated on or
before as_of, in (date, id) order, form a running total (payment and credit add, refund
subtracts). Invoices are covered oldest first by the final total: invoice i is paid iff
the total covers invoices 1..i together, so a refund reopens the newest paid invoices
first. An invoice's `paid_on` is the date of the entry from which the running total
stayed at or above what invoices 1..i need (for a period paid ahead, that is earlier
than the period's start). Whatever is left is `credit`; it is negative only when refunds
exceed everything paid in (money the ISP returned in excess). Money is conserved:
sum(signed entries) == sum(invoice.paid) + credit.

A terminated customer's last period may extend past `end`; it is still billed in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from isk_reconcile.billing.periods import Period, periods_from
from isk_reconcile.lazy import LazyTuple
from isk_reconcile.state.base import Dated
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import Entry
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import Settings

InvoiceStatus = Literal["paid", "partial", "unpaid"]


@dataclass(frozen=True)
class Invoice:
    id: str  # "<customer>/<period start ISO>"
    customer: str
    period: Period
    due: date
    amount: int
    profile: str  # the customer's profile on the period's first day
    paid: int  # amount allocated to this invoice (0..amount)
    paid_on: date | None  # date of the ledger entry that completed it, when status == "paid"
    paid_by: str | None  # id of that ledger entry

    @property
    def status(self) -> InvoiceStatus:
        if self.paid >= self.amount:
            return "paid"
        return "partial" if self.paid > 0 else "unpaid"

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid


# Virtual periods beyond as_of are only looked at to find how far credit reaches;
# this bound keeps a zero-price customer from looping for ever.
PAID_AHEAD_HORIZON = timedelta(days=3660)


# --- invoices and allocation -----------------------------------------------------------------


def price_on(customer: Customer, state: State, day: date) -> tuple[int, str]:
    """(amount, profile) billed for a period starting on `day`."""
    profile_name = customer.profile_on(day) or customer.profile.first
    if customer.price is not None:
        own_price = customer.price.at(day)
        if own_price is not None:
            return own_price, profile_name
    profile = state.profiles.get(profile_name)
    package_price = profile.price_on(day) if profile is not None else None
    # An unknown or unpriced profile is a validation error; bill nothing rather than guess.
    return (package_price or 0), profile_name


class _Tariff:
    """`price_on` for one customer's periods, asked in ascending day order (as billing
    walks them): cursors move forward through the dated lists instead of scanning them
    from the start for every period, and package prices are memoised in `package`, a
    dict shared by every customer of one `standings` run."""

    __slots__ = ("_customer", "_own", "_own_at", "_package", "_profile_at", "_profiles", "_state")

    def __init__(
        self, customer: Customer, state: State, package: dict[tuple[str, date], int]
    ) -> None:
        self._customer = customer
        self._state = state
        self._profiles = customer.profile.changes
        self._own = customer.price.changes if customer.price is not None else ()
        self._profile_at = -1  # index of the change in force (-1: before the first)
        self._own_at = -1
        self._package = package

    def on(self, day: date) -> tuple[int, str]:
        """The same (amount, profile) as `price_on(customer, state, day)`."""
        profiles, at = self._profiles, self._profile_at
        while at + 1 < len(profiles) and profiles[at + 1].from_ <= day:
            at += 1
        self._profile_at = at
        profile_name = profiles[max(at, 0)].value
        own, own_at = self._own, self._own_at
        while own_at + 1 < len(own) and own[own_at + 1].from_ <= day:
            own_at += 1
        self._own_at = own_at
        if own_at >= 0 and own[own_at].value is not None:
            return own[own_at].value, profile_name
        key = (profile_name, day)
        amount = self._package.get(key)
        if amount is None:
            amount = price_on(self._customer, self._state, day)[0]
            self._package[key] = amount
        return amount, profile_name

    def restarted(self) -> _Tariff:
        """A tariff for the same customer from the beginning (cursors back at the first
        change), sharing the memo: for a walk that starts before days already asked."""
        return _Tariff(self._customer, self._state, self._package)

    def package_price(self, profile_name: str) -> Dated[int] | None:
        """The dated price list of the package `profile_name` (None: unknown or unpriced)."""
        profile = self._state.profiles.get(profile_name)
        return profile.price if profile is not None else None


def _charge(
    customer: Customer, settings: Settings, billed: Period, tariff: _Tariff
) -> tuple[int, str] | None:
    """(amount, profile) of `billed`, or None when it is not billed at all (wholly on
    hold). In full at the first day's price, unless `billing.prorate`: then by the day,
    leaving out days on hold or after a termination's end and pricing each day by the
    profile and price in force that day (an upgrade counts from its day)."""
    amount, profile = tariff.on(billed.start)
    prorated = settings.billing.prorate and _changes_within(
        customer, billed, tariff.package_price(profile)
    )
    if not customer.holds and not prorated:
        return amount, profile
    days = [billed.start + timedelta(days=n) for n in range((billed.end - billed.start).days + 1)]
    last = customer.end if customer.status == "terminated" else None
    billable = [d for d in days if customer.hold_on(d) is None and (last is None or d <= last)]
    if not billable:
        return None
    if not settings.billing.prorate:
        return amount, profile
    # sum of each day's price over the period's length, rounded once (half up)
    owed = 0
    for day in billable:
        owed += amount if day == billed.start else tariff.on(day)[0]
    return (2 * owed + len(days)) // (2 * len(days)), profile


def _changes_within(customer: Customer, billed: Period, package: Dated[int] | None) -> bool:
    """A termination, or a dated profile, own price or package price change, inside the
    period (not on its first day, which prices the whole period anyway). Without one,
    every day costs the first day's price: the sum by the day is that price."""
    if customer.status == "terminated" and customer.end is not None and customer.end < billed.end:
        return True
    changes = [
        *customer.profile.changes,
        *(customer.price.changes if customer.price else ()),
        *(package.changes if package is not None else ()),
    ]
    return any(billed.start < change.from_ <= billed.end for change in changes)


def due_date(settings: Settings, billed: Period) -> date:
    if settings.billing.mode == "postpaid":
        return billed.end + timedelta(days=1)
    return billed.start


def counted_entries(entries: Iterable[Entry], as_of: date) -> tuple[Entry, ...]:
    """Entries that count on as_of, in allocation order (date, id)."""
    return tuple(sorted((e for e in entries if e.date <= as_of), key=lambda e: (e.date, e.id)))


class _Ledger:
    """Running totals of one customer's counted entries, to find who completed what."""

    def __init__(self, entries: tuple[Entry, ...]):
        self.entries = entries
        running: list[int] = []
        total = 0
        for entry in entries:  # entry.signed_amount, without a property call each
            total += -entry.amount if entry.kind == "refund" else entry.amount
            running.append(total)
        self.total = total
        # floor[j]: the lowest running total from entry j on; non-decreasing in j.
        self._floor = running[:]
        for j in range(len(running) - 2, -1, -1):
            self._floor[j] = min(self._floor[j], self._floor[j + 1])
        self._cursor = 0

    def completed_by(self, needed: int) -> Entry | None:
        """The entry from which the running total never drops below `needed`.

        Callers ask for non-decreasing `needed`, so the cursor only moves forward.
        """
        if needed <= 0 or self.total < needed:
            return None
        while self._floor[self._cursor] < needed:
            self._cursor += 1
        return self.entries[self._cursor]


class Invoices(LazyTuple[Invoice]):
    """A customer's invoices, oldest first, made when first looked at (issue 12): most
    commands need a standing's access, reason and balance, not the 190,000 Invoice
    objects of 10,000 customers. Compares equal to the tuple of the same invoices.

    Billing also knows, without making them, what each one bills (`billed_amounts`) and
    which are not wholly paid (`unpaid_invoices`): the dashboard needs only those."""

    __slots__ = ("_bills", "_unpaid")

    def __init__(
        self,
        make: Callable[[], tuple[Invoice, ...]],
        bills: Sequence[_Bill] | None = None,
        unpaid: tuple[Invoice, ...] | None = None,
    ) -> None:
        super().__init__(make)
        self._bills = bills  # (period, amount, profile) of each invoice
        self._unpaid = unpaid  # the invoices that are not wholly paid


def billed_amounts(invoices: Sequence[Invoice]) -> list[tuple[date, int]]:
    """(period start, amount) of each invoice, oldest first; for a standing's `Invoices`
    without making any."""
    bills = invoices._bills if isinstance(invoices, Invoices) else None
    if bills is not None:
        return [(bill[0].start, bill[1]) for bill in bills]
    return [(invoice.period.start, invoice.amount) for invoice in invoices]


def unpaid_invoices(invoices: Sequence[Invoice]) -> Sequence[Invoice]:
    """The invoices with money outstanding, oldest first; for a standing's `Invoices`
    without making the paid ones."""
    unpaid = invoices._unpaid if isinstance(invoices, Invoices) else None
    if unpaid is not None:
        return unpaid
    return [invoice for invoice in invoices if invoice.outstanding > 0]


@dataclass(frozen=True)
class _Account:
    invoices: Invoices  # every invoice of the periods started on or before as_of
    unpaid: tuple[Invoice, ...]  # those not wholly paid, oldest first
    first_start: date | None  # the first invoice's period start (None: no invoice)
    credit: int
    paid_through: date | None
    paid_through_entry: str | None


# One billed period, before it is an Invoice: (period, amount, profile).
_Bill = tuple[Period, int, str]


class Memo:
    """What the customers of one `standings` run (one state, one day) share: package
    prices by (package, day), and the bills of each tariff's shape. Customers who start
    on the same day on the same package at the same price are billed the same periods
    for the same amounts: at 10,000 customers, some 4,000 shapes."""

    __slots__ = ("bills", "prices")

    def __init__(self) -> None:
        self.prices: dict[tuple[str, date], int] = {}
        self.bills: dict[tuple[object, ...], Sequence[_Bill]] = {}


def _bills(
    customer: Customer, state: State, as_of: date, tariff: _Tariff, memo: Memo
) -> Sequence[_Bill]:
    settings = state.settings
    if not customer.holds and not settings.billing.prorate:  # the common case: first day's price
        # Everything the periods and their prices depend on besides the state and the day
        # (periods_from, _Tariff.on); plain values, which hash and compare cheaply.
        own = customer.price.changes if customer.price is not None else ()
        shape = (
            customer.status,
            customer.end,
            customer.billing_start,
            tuple((change.from_, change.value) for change in customer.profile.changes),
            tuple((change.from_, change.value) for change in own),
        )
        known = memo.bills.get(shape)
        if known is None:
            known = memo.bills[shape] = tuple(
                (billed, *tariff.on(billed.start))
                for billed in periods_from(customer, settings, 0, as_of)
            )
        return known
    found = []
    for billed in periods_from(customer, settings, 0, as_of):
        charge = _charge(customer, settings, billed, tariff)
        if charge is not None:  # None: wholly on hold, no invoice
            found.append((billed, *charge))
    return found


def _invoice(customer_id: str, settings: Settings, bill: _Bill, paid: int,
             completer: Entry | None) -> Invoice:  # fmt: skip
    billed, amount, profile = bill
    return Invoice(
        id=f"{customer_id}/{billed.start.isoformat()}",
        customer=customer_id,
        period=billed,
        due=due_date(settings, billed),
        amount=amount,
        profile=profile,
        paid=paid,
        paid_on=completer.date if completer else None,
        paid_by=completer.id if completer else None,
    )


def _made(customer_id: str, settings: Settings, bills: Sequence[_Bill],
          entries: tuple[Entry, ...]) -> Callable[[], tuple[Invoice, ...]]:  # fmt: skip
    """The invoices of `bills` with the ledger allocated, when asked for."""

    def make() -> tuple[Invoice, ...]:
        ledger = _Ledger(entries)
        needed, made = 0, []
        for bill in bills:
            paid = max(0, min(bill[1], ledger.total - needed))
            needed += bill[1]
            completer = ledger.completed_by(needed) if paid == bill[1] else None
            made.append(_invoice(customer_id, settings, bill, paid, completer))
        return tuple(made)

    return make


def _account(
    customer: Customer,
    state: State,
    entries: Iterable[Entry],
    as_of: date,
    *,
    counted: tuple[Entry, ...] | None = None,
    memo: Memo | None = None,
) -> _Account:
    """`counted`: the customer's entries already filtered and ordered by `counted_entries`
    (then `entries` is ignored); `memo`: what the customers of one run share.
    One pass over the periods with plain tuples; only unpaid invoices are made here."""
    settings = state.settings
    memo = memo if memo is not None else Memo()
    ledger = _Ledger(counted if counted is not None else counted_entries(entries, as_of))
    tariff = _Tariff(customer, state, memo.prices)
    bills = _bills(customer, state, as_of, tariff, memo)
    customer_id, total = customer.id, ledger.total
    first_start = bills[0][0].start if bills else None
    needed = allocated = 0  # what invoices 1..i need together; what they got
    unpaid: list[Invoice] = []
    paid_through = customer.billing_start - timedelta(days=1)
    through: int | None = 0  # what the paid prefix needs (None: past the first unpaid)
    for bill in bills:
        amount = bill[1]
        paid = max(0, min(amount, total - needed))
        needed += amount
        allocated += paid
        if paid < amount:
            unpaid.append(_invoice(customer_id, settings, bill, paid, None))
            through = None
        elif through is not None:
            paid_through, through = bill[0].end, needed
    credit = total - allocated
    owing = tuple(unpaid)
    every = Invoices(_made(customer_id, settings, bills, ledger.entries), bills, owing)
    if customer.status == "free":
        return _Account(every, owing, first_start, credit, None, None)
    entry = ledger.completed_by(through) if through else None
    paid_through_entry = entry.id if entry else None
    if owing:
        return _Account(every, owing, first_start, credit, paid_through, paid_through_entry)
    paid_through, paid_through_entry = _paid_ahead(
        customer, settings, bills, tariff, (ledger, needed, credit), as_of,
        (paid_through, paid_through_entry),
    )  # fmt: skip
    return _Account(every, (), first_start, credit, paid_through, paid_through_entry)


def _paid_ahead(
    customer: Customer,
    settings: Settings,
    bills: Sequence[_Bill],
    tariff: _Tariff,
    money: tuple[_Ledger, int, int],
    as_of: date,
    found: tuple[date, str | None],
) -> tuple[date, str | None]:
    """Everything billed is paid: how many future periods the credit covers, as
    (paid through, the entry that paid it); `found` when not even the next one."""
    ledger, needed, left = money
    # The search may start before days `tariff` was already asked (periods wholly on hold
    # are priced too) and a tariff's cursors only move forward: asked out of order, it
    # files a price in the shared memo under the wrong package, for every later customer.
    tariff = tariff.restarted()
    first_future = bills[-1][0].index + 1 if bills else 0
    for future in periods_from(customer, settings, first_future, as_of + PAID_AHEAD_HORIZON):
        charge = _charge(customer, settings, future, tariff)
        if charge is None:  # on hold: costs nothing, and is not "paid through" either
            continue
        amount = charge[0]
        if amount > left:
            break
        left -= amount
        needed += amount
        completer = ledger.completed_by(needed)
        found = (future.end, completer.id if completer else found[1])
    return found


def invoices(
    customer: Customer, state: State, entries: tuple[Entry, ...], as_of: date
) -> tuple[Invoice, ...]:
    """Invoices for periods started on or before as_of, with the ledger allocated."""
    return tuple(_account(customer, state, entries, as_of).invoices)
