"""When a live PPPoE session must be cut (SPEC §5): a suspension, a restore from
isolation, a deletion, or a change of a field the session was set up with. The planner
asks `disconnect_reason`; apply asks `sessions_to_cut` for sessions that appeared after
a saved plan was made; `pending_still_needed` reads the mark an interrupted apply left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from isk_reconcile.reconcile.comments import (
    SESSION_FIELDS,
)
from isk_reconcile.reconcile.desired import DesiredSecret
from isk_reconcile.reconcile.plan_types import Action, Change
from isk_reconcile.routeros.types import LiveItem, LiveState

PENDING_REASON = "disconnect left pending by an interrupted apply"


def disconnect_reason(
    secret: DesiredSecret,
    current: LiveItem,
    diff: Mapping[str, tuple[str | None, str | None]],
    action: Action,
) -> str | None:
    """Why the live session must end now, or None when it may go on."""
    if action == "disable":
        return f"access suspended: {secret.reason}"
    if action == "enable" and "profile" in diff:
        return f"restored from isolation: {secret.reason}"
    changed = sorted(SESSION_FIELDS & diff.keys())
    if changed:
        return f"{', '.join(changed)} changed: the session must reconnect"
    if secret.attrs.get("disabled") == "true" and current.attrs.get("disabled") == "true":
        return f"account is disabled but still online: {secret.reason}"
    return None


def pending_still_needed(secret: DesiredSecret, pending: frozenset[str]) -> bool:
    """Whether a pending mark left by an interrupted apply must still cut the session.

    The session was set up before that apply. It must go when the account is now meant
    to be suspended (disabled or isolated), or when the interrupted apply moved a session
    field (password, profile, remote-address) that the repository still wants: the
    session runs with the old value. A mark from an access change alone (a suspension)
    is not needed once the customer is enabled again (paid since): the session runs
    with exactly the access it was set up with, so the mark is just cleared.
    (A session field the repository now wants changed again is a diff, which cuts the
    session by itself.)
    """
    return secret.access == "suspended" or bool(pending)


_CUT_VERBS = {"disable": "access suspended", "delete": "account deleted"}


def sessions_to_cut(
    changes: Iterable[Change], live: LiveState, disconnect: bool
) -> tuple[Change, ...]:
    """Disconnects that `changes` need on `live` but do not carry: a saved plan's secret
    change whose account has a session that appeared after the plan was made (sessions
    are not in the fingerprint). Same rule as the planner: a disable (suspension or
    isolation), a restore from isolation, a deletion, or a password/profile/remote-address
    change cuts the live session."""
    if not disconnect:
        return ()
    changes = tuple(changes)
    online = {item.name for item in live.active}
    planned = {change.name for change in changes if change.kind == "session"}
    extra: list[Change] = []
    for change in changes:
        if change.kind != "secret" or change.name in planned or change.name not in online:
            continue
        if change.action == "conflict":
            continue
        changed = sorted(SESSION_FIELDS & change.fields.keys())
        if change.action in _CUT_VERBS:
            why = f"{_CUT_VERBS[change.action]}: {change.reason}"
        elif change.action == "enable" and "profile" in change.fields:
            why = f"restored from isolation: {change.reason}"
        elif changed and change.action != "create":
            why = f"{', '.join(changed)} changed: the session must reconnect"
        else:
            continue
        planned.add(change.name)
        extra.append(Change("disconnect", "session", change.name, change.customer, why))
    return tuple(extra)
