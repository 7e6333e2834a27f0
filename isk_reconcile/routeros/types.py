"""Values exchanged between the reconciler core and the RouterOS client.

`routeros/` talks to routers; `plan` and `apply` (pure logic and orchestration) see
routers only through these types. Attribute names are RouterOS names (`rate-limit`,
`remote-address`); values are canonical strings produced by `routeros.normalize`,
so a desired value and a live value compare equal exactly when RouterOS would hold
the same setting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from isk_reconcile.routeros.fields import ACTIVE, POOL, PROFILE, SECRET

__all__ = ["ACTIVE", "POOL", "PROFILE", "SECRET"]  # the menu paths, re-exported

Command = Literal["add", "set", "remove", "unset", "enable", "disable"]


@dataclass(frozen=True)
class LiveItem:
    """One entry as read from a router. `id` (".id") is only valid on that router until reboot."""

    id: str
    attrs: Mapping[str, str]  # canonical strings, ".id" excluded

    @property
    def name(self) -> str:
        return self.attrs.get("name", "")

    def __repr__(self) -> str:
        # A secret read with the `sensitive` policy holds its plaintext password.
        shown = {k: ("(hidden)" if k == "password" else v) for k, v in self.attrs.items()}
        return f"LiveItem({self.id!r} {shown})"


@dataclass(frozen=True)
class LiveState:
    """What one router holds, read with exactly one print per menu."""

    router: str
    profiles: tuple[LiveItem, ...]
    secrets: tuple[LiveItem, ...]
    active: tuple[LiveItem, ...]
    pools: tuple[LiveItem, ...] = ()

    def fingerprint(self) -> str:
        """sha256 over names and attributes (not ids, not session counters), order-independent."""
        volatile = {
            "uptime",
            "session-id",
            "encoding",
            "last-logged-out",
            "last-caller-id",
            "last-disconnect-reason",
        }

        def canon(items: tuple[LiveItem, ...]) -> list:
            # The same rows as sorting the filtered pairs of every item, without a Python
            # call per attribute for the (usual) item with no volatile one: thousands of
            # secrets are fingerprinted before each apply and in its verification.
            rows = [
                sorted(item.attrs.items())
                if volatile.isdisjoint(item.attrs)
                else sorted([pair for pair in item.attrs.items() if pair[0] not in volatile])
                for item in items
            ]
            return sorted(rows)

        document = {
            "profiles": canon(self.profiles),
            "secrets": canon(self.secrets),
            "active": canon(self.active),
            "pools": canon(self.pools),
        }
        encoded = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class SystemInfo:
    identity: str
    version: str
    uptime: str


@dataclass(frozen=True)
class RadiusConfig:
    """What a RADIUS router's baseline check reads (`/radius` entries hold the shared
    secret: compared, never shown)."""

    servers: tuple[Mapping[str, str], ...] = field(repr=False)
    aaa: Mapping[str, str]
    incoming: Mapping[str, str]


@dataclass(frozen=True)
class Write:
    """One API command to send. `attrs` holds RouterOS words without the leading '='
    (".id" included for set/remove/unset/enable/disable). For `unset`, attrs is
    {".id": id, "value-name": field}. Plaintext passwords live here in memory only:
    `repr` hides them."""

    menu: str
    command: Command
    attrs: Mapping[str, str]
    name: str  # the entry's name, for progress and errors
    customer: str | None = None
    secret_fields: frozenset[str] = field(default=frozenset({"password"}))

    def __repr__(self) -> str:
        shown = {k: ("(hidden)" if k in self.secret_fields else v) for k, v in self.attrs.items()}
        return f"Write({self.menu}/{self.command} {self.name!r} {shown})"


@dataclass(frozen=True)
class WriteResult:
    write: Write
    ok: bool
    # RouterOS trap message, e.g. "failure: secret with the same name already exists"
    error: str | None = None
    ret: str | None = None  # "=ret=" of add (the new id)
