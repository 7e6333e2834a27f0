"""The plan for the RADIUS store: the same verbs, reasons and safety as router plans. Pure.

The store is one more target of the plan (`RouterPlan` with `target="radius"`, named
RADIUS_TARGET). Kinds: `group` (a package's or the reject group's rows), `user` (one
customer's rows and membership), `nas` (a RADIUS router), `session` (an open session in
radacct that must end: a Disconnect-Request). Fields are `check:<attribute>`,
`reply:<attribute>` (value "<op> <value>"), `group`; passwords and NAS secrets show only
as (changed)/(set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from isk_reconcile.radius.desired import (
    SAFE_CHARACTERS,
    Attr,
    DesiredNas,
    DesiredStore,
    DesiredUser,
)
from isk_reconcile.radius.store import LiveStore
from isk_reconcile.reconcile.plan_types import CHANGED, HIDDEN, SET, Action, Change, RouterPlan
from isk_reconcile.reconcile.safety import safety_verdict, summarize
from isk_reconcile.state.settings import SafetySettings

RADIUS_TARGET = "radius"
HIDDEN_ATTRS = frozenset({"check:Cleartext-Password", "secret"})
# Fields whose change means the open session runs with stale settings.
SESSION_FIELDS = frozenset({"check:Cleartext-Password", "group", "reply:Framed-IP-Address"})
_ORDER = {"group": 0, "nas": 0, "user": 1, "session": 2}

Fields = dict[str, tuple[str | None, str | None]]


def owned_group(memberships: tuple[tuple[str, int], ...], prefix: str) -> str | None:
    """The isk group a user is a member of (None: not isk's user)."""
    for group, _ in sorted(memberships, key=lambda item: (item[1], item[0])):
        if group.startswith(prefix):
            return group
    return None


def attr_fields(table: str, desired: frozenset[Attr], live: frozenset[Attr]) -> Fields:
    """Per attribute: live "op value" -> desired "op value" (several rows joined)."""
    names = {row[0] for row in desired} | {row[0] for row in live}
    fields: Fields = {}
    for name in sorted(names):
        want = _shown(row for row in desired if row[0] == name)
        have = _shown(row for row in live if row[0] == name)
        if want == have:
            continue
        key = f"{table}:{name}"
        if key in HIDDEN_ATTRS:
            fields[key] = (HIDDEN if have else None, (CHANGED if have else SET) if want else None)
        else:
            fields[key] = (have, want)
    return fields


def _shown(rows: object) -> str | None:
    texts = sorted(f"{op} {value}" for _, op, value in rows)  # type: ignore[attr-defined]
    return "; ".join(texts) if texts else None


def user_fields(user: DesiredUser | None, live: LiveStore, name: str, group: str | None) -> Fields:
    check = user.check if user else frozenset()
    reply = user.reply if user else frozenset()
    fields = attr_fields("check", check, live.check.get(name, frozenset()))
    fields |= attr_fields("reply", reply, live.reply.get(name, frozenset()))
    want_group = user.group if user else None
    if want_group != group:
        fields["group"] = (group, want_group)
    return dict(sorted(fields.items()))


def plan_store(
    desired: DesiredStore, live: LiveStore, safety: SafetySettings, *, adopt: bool = False
) -> RouterPlan:
    """Changes that make the store hold `desired`, ordered, with a safety verdict."""
    prefix = desired.prefix
    changes: list[Change] = []
    owned = {
        name: group
        for name, rows in live.memberships.items()
        if (group := owned_group(rows, prefix)) is not None
    }
    online = {session.username for session in live.sessions}
    changes += _group_changes(desired, live)
    changes += _nas_changes(desired, live)
    changes += _user_changes(desired, live, owned, online, adopt)
    changes += _user_removals(desired, live, owned, online)
    ordered = tuple(sorted(changes, key=_order))
    unsafe = safety_verdict(
        [replace(change, kind="secret") for change in ordered if change.kind == "user"],
        len(owned),
        safety,
    )
    unmanaged = len((set(live.memberships) | set(live.check) | set(live.reply)) - set(owned))
    unmanaged += sum(1 for row in live.nas.values() if not row.description.startswith(prefix))
    return RouterPlan(
        router=RADIUS_TARGET,
        notes=_unsafe_names(desired),
        status="unsafe" if unsafe else "ok",
        fingerprint=live.fingerprint(),
        summary=summarize(ordered, unmanaged),
        changes=ordered,
        unsafe_reason=unsafe,
        target=RADIUS_TARGET,
    )


def _user_changes(
    desired: DesiredStore,
    live: LiveStore,
    owned: Mapping[str, str],
    online: set[str],
    adopt: bool,
) -> list[Change]:
    """Create / update / enable / disable / conflict for the desired users, and the session
    cuts they need."""
    changes: list[Change] = []
    empty: frozenset[Attr] = frozenset()
    for name, user in desired.users.items():
        group = owned.get(name)
        if (
            group == user.group
            and live.check.get(name, empty) == user.check
            and live.reply.get(name, empty) == user.reply
        ):
            continue  # the common case at scale: nothing to compare field by field
        fields = user_fields(user, live, name, group)
        if group is None and _exists(live, name) and not (adopt or user.adopt):
            reason = (
                f"an unmanaged RADIUS user named {name} already exists in the store; "
                "--adopt takes it over"
            )
            changes.append(Change("conflict", "user", name, user.customer, reason, fields))
            continue
        if not fields:
            continue
        action = _user_action(user, group, desired.suspension_groups)
        changes.append(Change(action, "user", name, user.customer, user.reason, fields))
        if desired.sessions_cut and name in online:
            why = _cut_reason(action, fields, user.reason)
            if why:
                changes.append(Change("disconnect", "session", name, user.customer, why))
    return changes


def _user_removals(
    desired: DesiredStore, live: LiveStore, owned: Mapping[str, str], online: set[str]
) -> list[Change]:
    """Managed users no longer desired: deleted, their sessions cut first."""
    changes: list[Change] = []
    customer_of = {username: cid for cid, username in desired.placement.items()}
    for name, group in owned.items():
        if name in desired.users:
            continue
        customer = customer_of.get(name)
        reason = desired.absent.get(customer or "") or (
            f"RADIUS user {name} is no longer in the repository (or its router uses the API)"
        )
        if desired.sessions_cut and name in online:
            changes.append(
                Change("disconnect", "session", name, customer, f"account deleted: {reason}")
            )
        changes.append(
            Change("delete", "user", name, customer, reason, user_fields(None, live, name, group))
        )
    return changes


def _unsafe_names(desired: DesiredStore) -> tuple[str, ...]:
    """FreeRADIUS escapes other characters before its query: such a user never logs in."""
    odd = sorted(name for name in desired.users if not set(name) <= SAFE_CHARACTERS)
    if not odd:
        return ()
    shown = ", ".join(odd[:3]) + (f" and {len(odd) - 3} more" if len(odd) > 3 else "")
    return (
        f"usernames with characters FreeRADIUS's sql module escapes cannot log in: {shown} "
        "(use letters, digits and @.-_:/)",
    )


def _order(change: Change) -> tuple[int, int, str]:
    if change.action == "conflict":
        return (5, 0, change.name)
    deleting = change.action == "delete"
    group = 3 if deleting and change.kind == "user" else _ORDER.get(change.kind, 4)
    if deleting and change.kind in ("group", "nas"):
        group = 4
    return (group, 0, change.name)


def _exists(live: LiveStore, name: str) -> bool:
    return name in live.check or name in live.reply or name in live.memberships


def _user_action(user: DesiredUser, group: str | None, suspension: frozenset[str]) -> Action:
    """disable/enable for what reviewers look for: into or out of the reject or isolate
    group; create for a new user."""
    if group is None:
        return "create"
    if user.group == group:
        return "update"
    if user.access == "suspended":
        return "disable"
    if group in suspension:
        return "enable"
    return "update"


def _cut_reason(action: Action, fields: Mapping[str, object], reason: str) -> str | None:
    if action == "disable":
        return f"access suspended: {reason}"
    if action == "enable":
        return f"access restored: {reason}"
    changed = sorted(SESSION_FIELDS & fields.keys())
    if changed and action != "create":
        return f"{', '.join(changed)} changed: the session must reconnect"
    return None


def _group_changes(desired: DesiredStore, live: LiveStore) -> list[Change]:
    changes: list[Change] = []
    names = set(live.group_check) | set(live.group_reply)
    for name, group in desired.groups.items():
        fields = attr_fields("check", group.check, live.group_check.get(name, frozenset()))
        fields |= attr_fields("reply", group.reply, live.group_reply.get(name, frozenset()))
        if not fields:
            continue
        action: Action = "update" if name in names else "create"
        reason = f"{group.reason} changed" if action == "update" else f"{group.reason} defined"
        changes.append(Change(action, "group", name, None, reason, dict(sorted(fields.items()))))
    for name in sorted(names - set(desired.groups)):
        fields = attr_fields("check", frozenset(), live.group_check.get(name, frozenset()))
        fields |= attr_fields("reply", frozenset(), live.group_reply.get(name, frozenset()))
        changes.append(
            Change("delete", "group", name, None, "package no longer in the repository", fields)
        )
    return changes


def _nas_fields(want: DesiredNas | None, have: object) -> Fields:
    fields: Fields = {}
    for key in ("shortname", "description"):
        before = getattr(have, key, None)
        after = getattr(want, key, None)
        if before != after:
            fields[key] = (before, after)
    before_secret = getattr(have, "secret", None)
    after_secret = getattr(want, "secret", None)
    if before_secret != after_secret:
        fields["secret"] = (
            HIDDEN if before_secret is not None else None,
            (CHANGED if before_secret is not None else SET) if after_secret is not None else None,
        )
    return fields


def _nas_changes(desired: DesiredStore, live: LiveStore) -> list[Change]:
    changes: list[Change] = []
    prefix = desired.prefix
    for name, nas in desired.nas.items():
        current = live.nas.get(name)
        fields = _nas_fields(nas, current)
        if current is not None and not current.description.startswith(prefix):
            reason = f"an unmanaged nas row for {name} already exists; remove it by hand"
            changes.append(Change("conflict", "nas", name, None, reason, fields))
            continue
        if fields:
            action: Action = "create" if current is None else "update"
            reason = f"router {nas.shortname} uses RADIUS"
            changes.append(Change(action, "nas", name, None, reason, fields))
    for name, current in live.nas.items():
        if current.description.startswith(prefix) and name not in desired.nas:
            reason = f"router {current.shortname} no longer uses RADIUS"
            changes.append(Change("delete", "nas", name, None, reason, _nas_fields(None, current)))
    return changes
