"""The values of a plan (SPEC §5): `Change` (one change on one router, with its apply
order), `RouterPlan`, `Plan`, and `PlanBasis` (what a plan was computed from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from isk_reconcile.billing.engine import Standing
from isk_reconcile.state.model import State

if TYPE_CHECKING:  # desired imports nothing from here; the annotation only
    from isk_reconcile.reconcile.desired import DesiredRouter

Action = Literal["create", "update", "delete", "enable", "disable", "disconnect", "conflict"]
# group, user, nas: rows of the RADIUS store (isk_reconcile/radius/plan.py)
Kind = Literal["pool", "profile", "secret", "session", "group", "user", "nas"]
# skipped: not contacted on purpose (connection settings changed in a pull request), with
# a note; it does not fail the exit code.
Status = Literal["ok", "unsafe", "error", "skipped"]

ACTIONS: tuple[Action, ...] = (
    "create",
    "update",
    "delete",
    "enable",
    "disable",
    "disconnect",
    "conflict",
)
HIDDEN = "(hidden)"
CHANGED = "(changed)"
SET = "(set)"


@dataclass(frozen=True)
class Change:
    """One change on one router.

    `fields` maps a field to (from, to); None means "not set". `target` holds what
    apply writes: every attribute for a create, the changed ones for an update
    ("" = unset), never the password (see `password_source`).
    """

    action: Action
    kind: Kind
    name: str
    customer: str | None
    reason: str
    fields: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    target: Mapping[str, str] = field(default_factory=dict)
    # The stored password ("age:..." or, in plaintext repos, the value itself) when this
    # change writes the password. Never rendered.
    password_source: str | None = field(default=None, repr=False)

    @property
    def applies(self) -> bool:
        """Conflicts are shown, never applied."""
        return self.action != "conflict"

    @property
    def group(self) -> float:
        """Apply order (SPEC §5): lower runs first; conflicts last (never applied).
        -1 pools created or updated, 0 profiles created or updated, 1 secrets written,
        2 sessions cut, 3 secrets deleted, 4 profiles deleted, 4.5 pools deleted,
        5 conflicts."""
        if self.action == "conflict":
            return 5
        if self.kind == "pool":  # created before the profiles that name it, deleted after them
            return 4.5 if self.action == "delete" else -1
        if self.kind == "profile":
            return 4 if self.action == "delete" else 0
        if self.kind == "session":
            return 2
        return 3 if self.action == "delete" else 1


@dataclass(frozen=True)
class RouterPlan:
    router: str
    status: Status
    error: str | None = None
    fingerprint: str | None = None
    summary: Mapping[str, int] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    unsafe_reason: str | None = None
    notes: tuple[str, ...] = ()  # e.g. a managed profile kept because a secret still uses it
    target: str = "router"  # "radius": the FreeRADIUS store (isk_reconcile/radius/)

    @property
    def applicable(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.applies)


class PlanBasis:
    """What a plan was computed from, kept in memory only (never rendered or saved):
    apply verifies against the same standings and passwords instead of a second billing
    pass and a second decryption of every password (seconds at 10,000 customers), and
    against the same desired state of each router (a pure function of those inputs)."""

    __slots__ = ("state", "standings", "passwords", "desired")

    def __init__(
        self,
        state: State,
        standings: Mapping[str, Standing],
        passwords: Mapping[str, str],
        desired: Mapping[str, DesiredRouter] | None = None,
    ) -> None:
        self.state = state
        self.standings = standings
        self.passwords = passwords
        self.desired: Mapping[str, DesiredRouter] = desired or {}

    def __repr__(self) -> str:
        return "PlanBasis(...)"


@dataclass(frozen=True)
class Plan:
    as_of: date
    commit: str | None
    routers: tuple[RouterPlan, ...]
    basis: PlanBasis | None = field(default=None, repr=False, compare=False)
    adopt: bool = False  # made with --adopt (apply of a saved plan recomputes it so)
    warnings: tuple[str, ...] = ()  # e.g. a router whose API login crosses the network in clear

    def basis_for(self, state: State) -> PlanBasis | None:
        """The plan's inputs when it was made from this very `state` (else None)."""
        basis = self.basis
        return basis if basis is not None and basis.state is state else None

    @property
    def has_changes(self) -> bool:
        """True when apply would write something (conflicts alone are not applied)."""
        return any(router.applicable for router in self.routers)

    @property
    def has_errors(self) -> bool:
        return any(router.status == "error" for router in self.routers)

    def router(self, name: str) -> RouterPlan:
        for router_plan in self.routers:
            if router_plan.router == name:
                return router_plan
        raise KeyError(name)
