"""Typed, immutable values for everything in the state repository (SPEC §2).

The loader turns YAML into these; every other module only ever sees these types.
Scalars are strict (a YAML int is never silently turned into a string), containers
are lax (a YAML list becomes a tuple).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from isk_reconcile.errors import Loc

T = TypeVar("T")

CUSTOMER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
RESERVED_PROFILES = frozenset({"default", "default-encryption"})

Money = Annotated[StrictInt, Field(ge=0)]
PositiveMoney = Annotated[StrictInt, Field(gt=0)]
Text = StrictStr


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Change(Frozen, Generic[T]):
    """One entry of a dated list: `value` applies from `from_` on."""

    from_: date = Field(alias="from")
    value: T


class Dated(Frozen, Generic[T]):
    """A value that changes over time: changes oldest first; a plain value is one change.

    The loader turns a plain YAML value into a single change dated `date.min`
    (or the customer's `start`, for a customer's profile).
    """

    changes: tuple[Change[T], ...]

    def at(self, day: date) -> T | None:
        """The value on `day`: that of the last change with from <= day (None before the first)."""
        current: T | None = None
        for change in self.changes:
            if change.from_ <= day:
                current = change.value
            else:
                break
        return current

    @property
    def first(self) -> T:
        return self.changes[0].value

    def values(self) -> tuple[T, ...]:
        return tuple(change.value for change in self.changes)


# --- settings ---------------------------------------------------------------------------


class BillingSettings(Frozen):
    cycle: Literal["30d", "monthly"] = "30d"
    mode: Literal["prepaid", "postpaid"] = "prepaid"
    grace_days: Annotated[StrictInt, Field(ge=0)] = 3


class SuspendSettings(Frozen):
    mode: Literal["disable", "isolate"] = "disable"
    isolate_profile: StrictStr | None = "isolir"
    disconnect: StrictBool = True


class SafetySettings(Frozen):
    max_disable_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 30
    max_delete_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 10
    min_managed: Annotated[StrictInt, Field(ge=0)] = 10


class SecretsSettings(Frozen):
    recipients: tuple[StrictStr, ...] = ()
    allow_plaintext: StrictBool = False


class Settings(Frozen):
    timezone: StrictStr = "Asia/Jakarta"
    currency: StrictStr = "IDR"
    billing: BillingSettings = BillingSettings()
    suspend: SuspendSettings = SuspendSettings()
    safety: SafetySettings = SafetySettings()
    secrets: SecretsSettings = SecretsSettings()
    comment_prefix: StrictStr = "isk"


# --- routers ----------------------------------------------------------------------------


class Router(Frozen):
    name: StrictStr
    host: StrictStr
    port: Annotated[StrictInt, Field(gt=0, lt=65536)] | None = None  # None: 8728, or 8729 with tls
    tls: StrictBool = False
    tls_ca: StrictStr | None = None
    tls_verify: StrictBool = True
    username: StrictStr = "admin"
    password_env: StrictStr | None = None
    timeout: Annotated[float, Field(gt=0)] = 10
    description: StrictStr = ""
    suspend: SuspendSettings | None = None  # overrides settings.suspend when set
    safety: SafetySettings | None = None  # overrides settings.safety when set

    @property
    def api_port(self) -> int:
        if self.port is not None:
            return self.port
        return 8729 if self.tls else 8728

    @property
    def password_variable(self) -> str:
        """Environment variable holding the API password (default derived from the name)."""
        if self.password_env:
            return self.password_env
        return "ISK_ROUTER_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_PASSWORD"


# --- profiles (packages) ------------------------------------------------------------------


class Profile(Frozen):
    name: StrictStr
    description: StrictStr = ""
    price: Dated[Money] | None = None  # None: not sellable (e.g. the isolate profile)
    rate_limit: StrictStr | None = None
    local_address: StrictStr | None = None
    remote_address: StrictStr | None = None
    dns_server: tuple[StrictStr, ...] = ()
    only_one: StrictBool | None = None
    address_list: StrictStr | None = None
    parent_queue: StrictStr | None = None
    routers: tuple[StrictStr, ...] | None = None  # None: pushed to every router
    routeros: Mapping[StrictStr, StrictStr] = Field(default_factory=dict)

    def on_router(self, router: str) -> bool:
        return self.routers is None or router in self.routers

    def price_on(self, day: date) -> int | None:
        return None if self.price is None else self.price.at(day)


# --- customers ----------------------------------------------------------------------------

CustomerStatus = Literal["active", "suspended", "free", "terminated"]


class Pppoe(Frozen):
    username: StrictStr | None = None  # None: the customer id
    password: StrictStr | None = None  # "age:<base64>" (or plaintext when allowed)
    service: StrictStr = "pppoe"
    remote_address: StrictStr | None = None
    caller_id: StrictStr | None = None


class Customer(Frozen):
    id: StrictStr
    name: StrictStr
    phone: StrictStr | None = None
    email: StrictStr | None = None
    address: StrictStr = ""
    router: StrictStr
    start: date
    profile: Dated[StrictStr]
    price: Dated[Money] | None = None
    status: CustomerStatus = "active"
    end: date | None = None
    suspend_reason: StrictStr = ""
    pppoe: Pppoe = Pppoe()
    protect: StrictBool = False
    adopt: StrictBool = False  # written by `isk import`: take over the live secret as it is
    notes: StrictStr = ""

    @property
    def username(self) -> str:
        return self.pppoe.username or self.id

    def profile_on(self, day: date) -> str | None:
        return self.profile.at(day)


# --- ledger -------------------------------------------------------------------------------

EntryKind = Literal["payment", "credit", "refund"]
PaymentMethod = Literal["cash", "transfer", "qris", "ewallet", "other"]


class LedgerEntry(Frozen):
    id: StrictStr
    customer: StrictStr
    amount: PositiveMoney
    date: date
    kind: EntryKind = "payment"
    method: PaymentMethod | None = None
    reference: StrictStr = ""
    note: StrictStr = ""

    @property
    def signed_amount(self) -> int:
        """What the entry adds to the customer's running credit."""
        return -self.amount if self.kind == "refund" else self.amount


# --- the whole repository -----------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Everything the repository says, validated. Built only by `loader.load_state`."""

    settings: Settings
    routers: Mapping[str, Router]
    profiles: Mapping[str, Profile]
    customers: Mapping[str, Customer]
    ledger: tuple[LedgerEntry, ...]
    # Where each thing is written, for error messages after loading:
    # ("router", name), ("profile", name), ("customer", id), ("ledger", entry id) -> Loc.
    locations: Mapping[tuple[str, str], Loc] = field(default_factory=dict)
    warnings: tuple = ()  # ConfigError with severity "warning" (e.g. future-dated ledger entry)

    def entries_for(self, customer_id: str) -> tuple[LedgerEntry, ...]:
        return self.ledger_by_customer.get(customer_id, ())

    @property
    def ledger_by_customer(self) -> Mapping[str, tuple[LedgerEntry, ...]]:
        cached = self.__dict__.get("_by_customer")
        if cached is None:
            grouped: dict[str, list[LedgerEntry]] = {}
            for entry in self.ledger:
                grouped.setdefault(entry.customer, []).append(entry)
            cached = {k: tuple(v) for k, v in grouped.items()}
            object.__setattr__(self, "_by_customer", cached)
        return cached

    def suspend_for(self, router: str) -> SuspendSettings:
        override = self.routers[router].suspend if router in self.routers else None
        return override or self.settings.suspend

    def safety_for(self, router: str) -> SafetySettings:
        override = self.routers[router].safety if router in self.routers else None
        return override or self.settings.safety

    def loc(self, kind: str, key: str) -> Loc | None:
        return self.locations.get((kind, key))
