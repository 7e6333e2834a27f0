"""Billing values built directly from the model (no files): what the engine tests share."""

from __future__ import annotations

from datetime import date

from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.settings import BillingSettings, Settings

D = date.fromisoformat


def dated(value, *later: tuple[str, object]) -> Dated:
    """A dated value: `value` from the beginning of time, then each (ISO date, value)."""
    changes = [DatedChange(from_=date.min, value=value)]
    changes += [DatedChange(from_=D(day), value=v) for day, v in later]
    return Dated(changes=tuple(changes))


def profile(name: str = "home-10m", price: int | Dated | None = 150_000) -> Profile:
    if isinstance(price, int):
        price = dated(price)
    return Profile(name=name, price=price, rate_limit="10M/10M")


def customer(
    cid: str = "budi",
    start: str = "2026-01-15",
    profile_changes: tuple[tuple[str, str], ...] = (),
    package: str = "home-10m",
    **fields,
) -> Customer:
    changes = [DatedChange(from_=D(start), value=package)]
    changes += [DatedChange(from_=D(day), value=name) for day, name in profile_changes]
    return Customer(
        id=cid,
        name=fields.pop("name", cid.title()),
        router="core",
        start=D(start),
        profile=Dated(changes=tuple(changes)),
        **fields,
    )


def entry(eid: str, day: str, amount: int, kind: str = "payment", cid: str = "budi") -> LedgerEntry:
    method = None if kind == "credit" else "cash"
    return LedgerEntry(id=eid, customer=cid, amount=amount, date=D(day), kind=kind, method=method)


def make_state(
    customers: list[Customer] | tuple[Customer, ...],
    ledger: list[LedgerEntry] | tuple[LedgerEntry, ...] = (),
    profiles: list[Profile] | tuple[Profile, ...] | None = None,
    cycle: str = "30d",
    mode: str = "prepaid",
    grace_days: int = 3,
) -> State:
    profiles = profiles if profiles is not None else [profile(), profile("home-20m", 200_000)]
    return State(
        settings=Settings(billing=BillingSettings(cycle=cycle, mode=mode, grace_days=grace_days)),
        routers={},
        profiles={p.name: p for p in profiles},
        customers={c.id: c for c in customers},
        ledger=tuple(ledger),
    )
