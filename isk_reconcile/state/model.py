"""The whole state repository as one immutable value (SPEC §2): `State`.

The loader turns YAML into the typed, frozen models of `settings`, `routers`,
`profiles`, `customers` and `ledger` (built from the parts in `base`) and collects them
here; every other module only ever sees these types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from isk_reconcile.errors import Loc
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import SafetySettings, Settings, SuspendSettings

# --- the whole repository -----------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Everything the repository says, validated. Built only by `loader.load_state`."""

    settings: Settings
    routers: Mapping[str, Router]
    profiles: Mapping[str, Profile]
    customers: Mapping[str, Customer]
    ledger: Sequence[LedgerEntry]  # a tuple, or the state cache's LazyLedger (equal to it)
    # Where each thing is written, for error messages after loading:
    # ("router", name), ("profile", name), ("customer", id), ("ledger", entry id) -> Loc.
    locations: Mapping[tuple[str, str], Loc] = field(default_factory=dict)
    warnings: tuple = ()  # ConfigError with severity "warning" (e.g. future-dated ledger entry)

    def entries_for(self, customer_id: str) -> tuple[LedgerEntry, ...]:
        if "ledger_by_customer" not in self.__dict__:
            # A ledger from the state cache builds one customer's entries on its own
            # (statecache, lazyledger): `isk customer show` needs no other customer's.
            entries_of = getattr(self.ledger, "entries_of", None)
            if entries_of is not None:
                return entries_of(customer_id)
        return self.ledger_by_customer.get(customer_id, ())

    # Views computed on first use and kept on the instance (functools.cached_property
    # writes to the instance dict, which a frozen dataclass allows): a State is never
    # changed after loading, and `dataclasses.replace` makes a new one without them.
    @cached_property
    def ledger_by_customer(self) -> Mapping[str, tuple[LedgerEntry, ...]]:
        grouped: dict[str, list[LedgerEntry]] = {}
        for entry in self.ledger:
            grouped.setdefault(entry.customer, []).append(entry)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def customers_by_router(self) -> Mapping[str, tuple[tuple[str, Customer], ...]]:
        """Customers grouped by router, sorted by id."""
        grouped: dict[str, list[tuple[str, Customer]]] = {}
        for customer_id, customer in sorted(self.customers.items()):
            grouped.setdefault(customer.router, []).append((customer_id, customer))
        return {router: tuple(items) for router, items in grouped.items()}

    @cached_property
    def placement(self) -> Mapping[str, tuple[str, str]]:
        """Customer id -> (router, username)."""
        return {cid: (c.router, c.username) for cid, c in self.customers.items()}

    def suspend_for(self, router: str) -> SuspendSettings:
        override = self.routers[router].suspend if router in self.routers else None
        return override or self.settings.suspend

    def safety_for(self, router: str) -> SafetySettings:
        override = self.routers[router].safety if router in self.routers else None
        return override or self.settings.safety

    def loc(self, kind: str, key: str) -> Loc | None:
        return self.locations.get((kind, key))
