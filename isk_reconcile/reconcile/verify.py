"""A saved plan is checked against what the plan must be, before anything is written. Pure.

A plan file is just JSON: anyone who can edit it (a CI artifact, a file passed around)
could add a delete of an unmanaged entry or turn `unsafe` into `ok`, and its live-state
fingerprint would still match. So `isk apply PLANFILE` recomputes the router's plan from
the repository and the live state it just read (and whose fingerprint matched), with the
plan's own as-of date and --adopt choice, and refuses the router when the saved one says
anything else: ownership, safety and the changes themselves are then exactly what `isk
plan` would show for that state. Sessions are not part of the fingerprint, so a saved
disconnect of a session that has since ended is accepted (it writes nothing); one that
would cut a session the recomputed plan does not cut is refused like any other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from isk_reconcile.reconcile.plan_types import Change, RouterPlan
from isk_reconcile.routeros.types import LiveState

# Counts that depend only on the fingerprinted state (disconnect counts follow sessions).
_COUNTED = ("create", "update", "delete", "enable", "disable", "conflict", "unmanaged")


def _key(change: Change, comments: Mapping[str, str]) -> tuple[Any, ...]:
    target = dict(change.target)
    # A secret change whose session must be cut re-writes the (unchanged) comment to mark
    # it; whether it does depends on the sessions, so the desired comment is accepted
    # either way, and only it.
    unchanged = "comment" not in change.fields
    if unchanged and "comment" in target and target["comment"] == comments.get(change.name):
        del target["comment"]
    return (
        change.action,
        change.kind,
        change.name,
        change.customer,
        change.reason,
        tuple(sorted(change.fields.items())),
        tuple(sorted(target.items())),
        change.password_source,
    )


def _describe(change: Change) -> str:
    return f"{change.action} {change.kind} {change.name!r}"


def saved_plan_problem(
    saved: RouterPlan, expected: RouterPlan, live: LiveState, comments: Mapping[str, str]
) -> str | None:
    """Why `saved` is not the plan of this router for this state and live read (one
    line), or None when it is. `comments`: each desired secret's comment by name."""
    if saved.status != expected.status:
        return f"its status is {saved.status!r}, but the plan for this state is {expected.status!r}"
    if saved.unsafe_reason != expected.unsafe_reason:
        return "its safety verdict differs from the plan for this state"
    sessions = {item.name for item in live.active}
    wanted = {_key(change, comments) for change in expected.changes}
    for change in saved.changes:
        harmless = change.kind == "session" and change.name not in sessions
        if _key(change, comments) not in wanted and not harmless:
            return f"it holds {_describe(change)}, which the plan for this state does not"
    held = {_key(change, comments) for change in saved.changes}
    for change in expected.changes:
        if change.kind != "session" and _key(change, comments) not in held:
            return f"it lacks {_describe(change)}, which the plan for this state has"
    if _counts(saved.summary) != _counts(expected.summary):
        return "its summary counts differ from its changes"
    return None


def _counts(summary: Mapping[str, int]) -> dict[str, int]:
    return {key: int(summary.get(key, 0)) for key in _COUNTED}


__all__ = ["saved_plan_problem"]
