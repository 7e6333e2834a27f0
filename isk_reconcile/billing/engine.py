"""Billing engine (SPEC §3): invoices, payments and standings as pure functions of
(State, as_of).

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

import calendar
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from types import MappingProxyType
from typing import Literal

from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.errors import IskError
from isk_reconcile.state.model import Customer, LedgerEntry, Settings, State

InvoiceStatus = Literal["paid", "partial", "unpaid"]
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
class Period:
    index: int
    start: date
    end: date  # inclusive: the day before the next period starts


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
    invoices: tuple[Invoice, ...]  # periods started on or before as_of, oldest first
    paid_through: (
        date | None
    )  # None for free customers; start - 1 day when the first period is unpaid
    credit: int  # money left over after allocation (pays future periods)
    balance: int  # credit minus the outstanding amount of invoices due on or before as_of

    @property
    def enabled(self) -> bool:
        return self.access == "enabled"


@dataclass(frozen=True)
class AgingBucket:
    label: str  # "0-30", "31-60", "61-90", ">90"
    amount: int
    invoices: int


@dataclass(frozen=True)
class Receivable:
    invoice: Invoice
    days_past_due: int
    bucket: str


@dataclass(frozen=True)
class Receivables:
    as_of: date
    items: tuple[Receivable, ...]  # unpaid parts of invoices due on or before as_of
    buckets: tuple[AgingBucket, ...]  # always the four buckets, in order

    @property
    def total(self) -> int:
        return sum(bucket.amount for bucket in self.buckets)


AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    (">90", None),
)

# Virtual periods beyond as_of are only looked at to find how far credit reaches;
# this bound keeps a zero-price customer from looping for ever.
PAID_AHEAD_HORIZON = timedelta(days=3660)


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


def _period_count(customer: Customer, settings: Settings, until: date) -> int:
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
    return tuple(_periods_from(customer, settings, 0, until))


def _periods_from(
    customer: Customer, settings: Settings, first_index: int, until: date
) -> Iterator[Period]:
    if customer.status == "free":
        return
    last_day = _last_billable_day(customer)
    if last_day is not None:
        until = min(until, last_day)
    count = _period_count(customer, settings, until)
    if first_index >= count:
        return
    one_day = timedelta(days=1)
    start = period_start(customer, settings, first_index)
    for index in range(first_index, count):  # each start computed once, from the anchor
        next_start = period_start(customer, settings, index + 1)
        yield Period(index, start, next_start - one_day)
        start = next_start


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


def _charge(
    customer: Customer, settings: Settings, billed: Period, tariff: _Tariff
) -> tuple[int, str] | None:
    """(amount, profile) of `billed`, or None when it is not billed at all (wholly on
    hold). In full at the first day's price, unless `billing.prorate`: then by the day,
    leaving out days on hold or after a termination's end and pricing each day by the
    profile and price in force that day (an upgrade counts from its day)."""
    amount, profile = tariff.on(billed.start)
    if not customer.holds and not (settings.billing.prorate and _changes_within(customer, billed)):
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


def _changes_within(customer: Customer, billed: Period) -> bool:
    """A termination, or a dated profile or price change, inside the period (not on its
    first day, which prices the whole period anyway)."""
    if customer.status == "terminated" and customer.end is not None and customer.end < billed.end:
        return True
    changes = [*customer.profile.changes, *(customer.price.changes if customer.price else ())]
    return any(billed.start < change.from_ <= billed.end for change in changes)


def due_date(settings: Settings, billed: Period) -> date:
    if settings.billing.mode == "postpaid":
        return billed.end + timedelta(days=1)
    return billed.start


def counted_entries(entries: Iterable[LedgerEntry], as_of: date) -> tuple[LedgerEntry, ...]:
    """Entries that count on as_of, in allocation order (date, id)."""
    return tuple(sorted((e for e in entries if e.date <= as_of), key=lambda e: (e.date, e.id)))


class _Ledger:
    """Running totals of one customer's counted entries, to find who completed what."""

    def __init__(self, entries: tuple[LedgerEntry, ...]):
        self.entries = entries
        running: list[int] = []
        total = 0
        for entry in entries:
            total += entry.signed_amount
            running.append(total)
        self.total = total
        # floor[j]: the lowest running total from entry j on; non-decreasing in j.
        self._floor = running[:]
        for j in range(len(running) - 2, -1, -1):
            self._floor[j] = min(self._floor[j], self._floor[j + 1])
        self._cursor = 0

    def completed_by(self, needed: int) -> LedgerEntry | None:
        """The entry from which the running total never drops below `needed`.

        Callers ask for non-decreasing `needed`, so the cursor only moves forward.
        """
        if needed <= 0 or self.total < needed:
            return None
        while self._floor[self._cursor] < needed:
            self._cursor += 1
        return self.entries[self._cursor]


@dataclass(frozen=True)
class _Account:
    invoices: tuple[Invoice, ...]
    credit: int
    paid_through: date | None
    paid_through_entry: str | None


def _account(
    customer: Customer,
    state: State,
    entries: Iterable[LedgerEntry],
    as_of: date,
    *,
    counted: tuple[LedgerEntry, ...] | None = None,
    package: dict[tuple[str, date], int] | None = None,
) -> _Account:
    """`counted`: the customer's entries already filtered and ordered by `counted_entries`
    (then `entries` is ignored); `package`: a package-price memo shared between customers."""
    settings = state.settings
    ledger = _Ledger(counted if counted is not None else counted_entries(entries, as_of))
    tariff = _Tariff(customer, state, package if package is not None else {})
    billed: list[Invoice] = []
    customer_id, total = customer.id, ledger.total
    needed = 0  # what invoices 1..i need together
    allocated = 0
    for billed_period in _periods_from(customer, settings, 0, as_of):
        charge = _charge(customer, settings, billed_period, tariff)
        if charge is None:  # wholly on hold: no invoice
            continue
        amount, profile = charge
        paid = max(0, min(amount, total - needed))
        needed += amount
        allocated += paid
        completer = ledger.completed_by(needed) if paid == amount else None
        billed.append(
            Invoice(
                id=f"{customer_id}/{billed_period.start.isoformat()}",
                customer=customer_id,
                period=billed_period,
                due=due_date(settings, billed_period),
                amount=amount,
                profile=profile,
                paid=paid,
                paid_on=completer.date if completer else None,
                paid_by=completer.id if completer else None,
            )
        )
    credit = total - allocated

    if customer.status == "free":
        return _Account(tuple(billed), credit, None, None)

    paid_through = customer.billing_start - timedelta(days=1)
    paid_through_entry: str | None = None
    for invoice in billed:
        if invoice.status != "paid":
            return _Account(tuple(billed), credit, paid_through, paid_through_entry)
        paid_through, paid_through_entry = invoice.period.end, invoice.paid_by or paid_through_entry

    # Everything billed is paid: see how many future periods the credit covers.
    left = credit
    horizon = as_of + PAID_AHEAD_HORIZON
    first_future = billed[-1].period.index + 1 if billed else 0
    for future in _periods_from(customer, settings, first_future, horizon):
        charge = _charge(customer, settings, future, tariff)
        if charge is None:  # on hold: costs nothing, and is not "paid through" either
            continue
        amount = charge[0]
        if amount > left:
            break
        left -= amount
        needed += amount
        completer = ledger.completed_by(needed)
        paid_through = future.end
        paid_through_entry = completer.id if completer else paid_through_entry
    return _Account(tuple(billed), credit, paid_through, paid_through_entry)


def invoices(
    customer: Customer, state: State, entries: tuple[LedgerEntry, ...], as_of: date
) -> tuple[Invoice, ...]:
    """Invoices for periods started on or before as_of, with the ledger allocated."""
    return _account(customer, state, entries, as_of).invoices


# --- standing ---------------------------------------------------------------------------------


def _unpaid_words(invoice: Invoice) -> str:
    if invoice.paid > 0:
        return f"{rupiah(invoice.outstanding)} of {rupiah(invoice.amount)} outstanding"
    return rupiah(invoice.amount)


def _standing(
    state: State,
    customer: Customer,
    as_of: date,
    counted: tuple[LedgerEntry, ...] | None = None,
    package: dict[tuple[str, date], int] | None = None,
) -> Standing:
    account = _account(
        customer, state, state.entries_for(customer.id), as_of, counted=counted, package=package
    )
    billed = account.invoices
    outstanding_due = 0
    for invoice in billed:
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

    if customer.status == "terminated" and customer.end is not None and as_of > customer.end:
        return make("absent", "terminated", f"terminated on {customer.end.isoformat()}")
    if as_of < customer.start:
        return make("absent", "not-started", f"service starts {customer.start.isoformat()}")
    if customer.status == "free":
        return make("enabled", "free", "free account")
    if customer.protect:
        return make("enabled", "protected", "protected: never suspended by the reconciler")
    if customer.status == "suspended":
        why = customer.suspend_reason.strip()
        return make(
            "suspended", "manual", f"suspended by hand: {why}" if why else "suspended by hand"
        )
    hold = customer.hold_on(as_of)
    if hold is not None:
        until = f"until {hold.until.isoformat()}" if hold.until else "until further notice"
        return make(
            "suspended", "hold", f"on hold from {hold.from_.isoformat()} {until}: {hold.reason}"
        )

    grace = timedelta(days=state.settings.billing.grace_days)
    in_grace: Invoice | None = None
    for invoice in billed:  # oldest first: the oldest overdue invoice is the reason
        if invoice.status == "paid" or invoice.due > as_of:
            continue
        grace_end = invoice.due + grace
        if as_of > grace_end:
            return make(
                "suspended",
                "unpaid",
                f"unpaid invoice {invoice.id} ({_unpaid_words(invoice)}) due "
                f"{invoice.due.isoformat()}, grace ended {grace_end.isoformat()}",
            )
        in_grace = in_grace or invoice
    if in_grace is not None:
        return make(
            "enabled",
            "paid",
            f"invoice {in_grace.id} ({_unpaid_words(in_grace)}) due {in_grace.due.isoformat()} "
            f"unpaid, grace until {(in_grace.due + grace).isoformat()}",
        )
    return make("enabled", "paid", _paid_words(account, billed))


def _paid_words(account: _Account, billed: tuple[Invoice, ...]) -> str:
    assert account.paid_through is not None
    if billed and account.paid_through >= billed[0].period.start:
        by = f" ({account.paid_through_entry})" if account.paid_through_entry else ""
        return f"paid through {account.paid_through.isoformat()}{by}"
    upcoming = next((i for i in billed if i.status != "paid"), None)
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
    customer), and package prices are looked up once per (package, day). A State from the
    loader is read-only, so its standings for the last as_of are kept on it: `isk apply`
    (plan, then apply and verify) computes them once."""
    read_only = isinstance(state.customers, MappingProxyType)
    if read_only:
        kept = state.__dict__.get("_standings")
        if kept is not None and kept[0] == as_of:
            return kept[1]
    with collector_paused():
        result = MappingProxyType(_standings(state, as_of))
        freeze_if_large(len(state.customers) + len(state.ledger))
    if read_only:
        object.__setattr__(state, "_standings", (as_of, result))
    return result


def _standings(state: State, as_of: date) -> dict[str, Standing]:
    counted: dict[str, list[LedgerEntry]] = {}
    for entry in sorted(
        (entry for entry in state.ledger if entry.date <= as_of), key=attrgetter("date", "id")
    ):
        counted.setdefault(entry.customer, []).append(entry)
    package: dict[tuple[str, date], int] = {}
    return {
        cid: _standing(state, customer, as_of, tuple(counted.get(cid, ())), package)
        for cid, customer in sorted(state.customers.items())
    }


# --- receivables and totals ---------------------------------------------------------------------


def aging_bucket(days_past_due: int) -> str:
    for label, limit in AGING_BUCKETS:
        if limit is None or days_past_due <= limit:
            return label
    raise AssertionError("the last bucket has no limit")


def receivables(
    state: State, as_of: date, by_customer: Mapping[str, Standing] | None = None
) -> Receivables:
    """Unpaid parts of invoices due on or before as_of, with aging.

    Pass `by_customer` (from `standings`) to avoid computing every standing again.
    """
    every = by_customer if by_customer is not None else standings(state, as_of)
    items = [
        Receivable(invoice, (as_of - invoice.due).days, aging_bucket((as_of - invoice.due).days))
        for one in every.values()
        for invoice in one.invoices
        if invoice.due <= as_of and invoice.outstanding > 0
    ]
    items.sort(key=lambda item: (item.invoice.due, item.invoice.id))
    amounts = dict.fromkeys((label for label, _ in AGING_BUCKETS), 0)
    counts = dict.fromkeys(amounts, 0)
    for item in items:
        amounts[item.bucket] += item.invoice.outstanding
        counts[item.bucket] += 1
    buckets = tuple(AgingBucket(label, amounts[label], counts[label]) for label in amounts)
    return Receivables(as_of=as_of, items=tuple(items), buckets=buckets)


@dataclass(frozen=True)
class CustomerReceivable:
    """One customer's unpaid, due money split by age."""

    customer: str
    buckets: Mapping[str, int]  # bucket label -> amount, all four labels
    invoices: int
    oldest_due: date

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def receivables_by_customer(owed: Receivables) -> tuple[CustomerReceivable, ...]:
    """Per-customer totals of `owed`, largest total first (then by id)."""
    grouped: dict[str, list[Receivable]] = {}
    for item in owed.items:
        grouped.setdefault(item.invoice.customer, []).append(item)
    rows = []
    for customer_id, items in grouped.items():
        amounts = dict.fromkeys((label for label, _ in AGING_BUCKETS), 0)
        for item in items:
            amounts[item.bucket] += item.invoice.outstanding
        oldest = min(item.invoice.due for item in items)
        rows.append(CustomerReceivable(customer_id, amounts, len(items), oldest))
    rows.sort(key=lambda row: (-row.total, row.customer))
    return tuple(rows)


def rupiah(amount: int) -> str:
    """Rp150.000 — Indonesian thousands separator."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
