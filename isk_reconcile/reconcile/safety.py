"""The safety verdict of a router's plan (SPEC §5): too many suspensions or deletions at
once make the plan unsafe; and the per-action summary of a router's changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from isk_reconcile.reconcile.plan_types import ACTIONS, Change
from isk_reconcile.state.settings import SafetySettings


def safety_verdict(changes: Iterable[Change], managed: int, safety: SafetySettings) -> str | None:
    """Why this router's plan is unsafe, or None."""
    secret_changes = [change for change in changes if change.kind == "secret"]
    disables = sum(1 for change in secret_changes if change.action == "disable")
    deletes = sum(1 for change in secret_changes if change.action == "delete")
    if managed and deletes >= managed:
        return f"would delete every managed secret ({managed})"
    if managed and disables * 100 > safety.max_disable_percent_any_size * managed:
        return _too_many("disable", disables, managed, safety.max_disable_percent_any_size)
    if managed < safety.min_managed:
        return None
    if disables * 100 > safety.max_disable_percent * managed:
        return _too_many("disable", disables, managed, safety.max_disable_percent)
    if deletes * 100 > safety.max_delete_percent * managed:
        return _too_many("delete", deletes, managed, safety.max_delete_percent)
    return None


def _too_many(verb: str, count: int, managed: int, limit: int) -> str:
    return (
        f"would {verb} {count} of {managed} managed secrets ({count * 100 // managed}% > {limit}%)"
    )


def summarize(changes: Iterable[Change], unmanaged: int) -> dict[str, int]:
    summary = dict.fromkeys(ACTIONS, 0)
    for change in changes:
        summary[change.action] += 1
    summary["unmanaged"] = unmanaged
    return summary
