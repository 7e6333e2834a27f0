"""Which routers a pull request's plan may contact, and with which settings. Pure.

`isk plan --base REF` passes the routers of REF (read by gitops.base). A router whose
connection settings (`model.CONNECTION_FIELDS`) are the same as at REF is planned with
REF's values; a router that is new, or whose settings differ, is not contacted at all:
its plan entry is `skipped`, with a note saying why (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from isk_reconcile.state.model import State
from isk_reconcile.state.routers import CONNECTION_FIELDS, Router

CHANGED_NOTE = "connection settings changed in this change: not contacted before merge"
NEW_NOTE = "router new in this change: not contacted before merge"


@dataclass(frozen=True)
class Trusted:
    """`state` with every router's connection settings from the base, and the routers
    that must not be contacted (name -> note)."""

    state: State
    skipped: Mapping[str, str]


def changed_fields(router: Router, base: Router) -> list[str]:
    """The connection fields whose value differs between the two."""
    now, before = router.connection(), base.connection()
    return [name for name in CONNECTION_FIELDS if now[name] != before[name]]


def skip_note(router: Router, base: Router | None) -> str | None:
    """Why `router` must not be contacted before merge, or None."""
    if base is None:
        return NEW_NOTE
    changed = changed_fields(router, base)
    if changed:
        return f"{CHANGED_NOTE} ({', '.join(changed)})"
    return None


def with_base_connections(state: State, base: Mapping[str, Router]) -> Trusted:
    """`state` whose routers connect exactly as at the base; the others are skipped."""
    routers: dict[str, Router] = {}
    skipped: dict[str, str] = {}
    for name, router in state.routers.items():
        before = base.get(name)
        note = skip_note(router, before)
        if note is not None:
            skipped[name] = note
            routers[name] = router
            continue
        assert before is not None
        fields = [key for key in CONNECTION_FIELDS if key in Router.model_fields]
        taken = {key: getattr(before, key) for key in fields}
        routers[name] = router.model_copy(update=taken)
    return Trusted(replace(state, routers=MappingProxyType(routers)), MappingProxyType(skipped))


def for_reading(state: State) -> State:
    """`state` whose routers log in as their read-only user where one is named (plans)."""
    routers = {name: router.for_reading() for name, router in state.routers.items()}
    return replace(state, routers=MappingProxyType(routers))


__all__ = ["CHANGED_NOTE", "NEW_NOTE", "Trusted", "for_reading", "with_base_connections"]
