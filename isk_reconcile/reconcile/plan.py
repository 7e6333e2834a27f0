"""The plan (SPEC §5): what must change on each router, and why. Pure.

`make_plan` compares each router's desired state with its live state and yields
ordered, field-level changes with reasons, ownership conflicts, unmanaged counts and
a safety verdict. Passwords never appear in a plan: a password field shows only
"(changed)"/"(set)", and a change that writes a password carries the stored
ciphertext (`password_source`), which `apply` decrypts at write time.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from isk_reconcile.billing.engine import Standing
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.reconcile.comments import (
    SESSION_FIELDS,
    customer_of_comment,
    is_managed,
    passthrough_of_comment,
    pending_of_comment,
    without_pending,
)
from isk_reconcile.reconcile.desired import DesiredRouter, DesiredSecret, desired_state
from isk_reconcile.reconcile.pools import in_use as pools_in_use
from isk_reconcile.reconcile.pools import missing_pools, pools_named, same_pool
from isk_reconcile.routeros.fields import unset_spellings
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.model import RESERVED_PROFILES, SafetySettings, State

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
# A managed field left empty in the YAML matches a router that prints nothing, "" or
# the spelling RouterOS prints once the field is unset ("default" for the yes/no/default
# profile fields).
EMPTY_DEFAULTS = unset_spellings()
PENDING_REASON = "disconnect left pending by an interrupted apply"


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
    pass and a second decryption of every password (seconds at 10,000 customers)."""

    __slots__ = ("state", "standings", "passwords")

    def __init__(
        self, state: State, standings: Mapping[str, Standing], passwords: Mapping[str, str]
    ) -> None:
        self.state = state
        self.standings = standings
        self.passwords = passwords

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


def make_plan(
    state: State,
    as_of: date,
    standings: Mapping[str, Standing],
    live: Mapping[str, LiveState | RouterError],
    *,
    adopt: bool = False,
    passwords: Mapping[str, str],
) -> Plan:
    """The plan for every router in `live` (in routers.yaml order)."""
    order = [name for name in state.routers if name in live]
    order += sorted(name for name in live if name not in state.routers)
    router_plans = []
    for name in order:
        observed = live[name]
        if isinstance(observed, BaseException):
            router_plans.append(RouterPlan(router=name, status="error", error=str(observed)))
            continue
        try:
            desired = desired_state(state, standings, name, passwords)
        except IskError as problem:  # e.g. a password that did not decrypt: this router only
            router_plans.append(
                RouterPlan(router=name, status="error", error=str(RouterError(name, str(problem))))
            )
            continue
        router_plans.append(plan_router(desired, observed, state.safety_for(name), adopt=adopt))
    basis = PlanBasis(state, standings, passwords)
    return Plan(
        as_of=as_of, commit=None, routers=tuple(router_plans), basis=basis, adopt=adopt
    )


@dataclass
class _Draft:
    """What plan_router collects while it walks one router's entries."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmanaged: int = 0
    unreadable: int = 0  # desired passwords the router does not print (no `sensitive` policy)
    final_profiles: dict[str, str] = field(default_factory=dict)  # secret -> profile after apply


def plan_router(
    desired: DesiredRouter, live: LiveState, safety: SafetySettings, *, adopt: bool = False
) -> RouterPlan:
    """Changes that make `live` hold `desired`, ordered, with a safety verdict."""
    # IP pools: every pool something names must exist before anything is written.
    named = pools_named([*(p.attrs for p in desired.profiles.values()),
                         *(s.attrs for s in desired.secrets.values())])  # fmt: skip
    missing = missing_pools(named, desired.pools, live.pools)
    if missing:
        return RouterPlan(router=live.router, status="error",
                          error=f"{live.router}: " + "; ".join(missing))  # fmt: skip
    draft = _Draft()
    pool_changes, pool_unmanaged, pool_notes = plan_pools(desired, live, named, adopt=adopt)
    draft.changes += pool_changes
    draft.notes += pool_notes
    draft.unmanaged += pool_unmanaged
    live_profiles = {item.name: item for item in live.profiles}
    live_secrets = {item.name: item for item in live.secrets}
    sessions = {item.name for item in live.active}
    # The order of these calls is the order of changes with the same group and name.
    _plan_profiles(desired, live_profiles, adopt, draft)
    _plan_secrets(desired, live_secrets, sessions, adopt, draft)
    _plan_secret_removals(desired, live_secrets, sessions, draft)
    _plan_profile_removals(desired, live_profiles, draft)
    if draft.unreadable:
        draft.notes.append(
            f"passwords not readable by the API user: {draft.unreadable} password(s) cannot be "
            "checked; give the user the sensitive policy"
        )
    ordered = tuple(sorted(draft.changes, key=lambda change: (change.group, change.name)))
    managed = sum(1 for item in live.secrets if is_managed(item, desired.prefix))
    # The secrets of a router moving to RADIUS all go by design; the store's own plan
    # carries the safety limits for the accounts.
    unsafe_reason = (
        None if desired.backend == "radius" else safety_verdict(ordered, managed, safety)
    )
    return RouterPlan(
        router=live.router,
        status="unsafe" if unsafe_reason else "ok",
        fingerprint=config_fingerprint(live),
        summary=summarize(ordered, draft.unmanaged),
        changes=ordered,
        unsafe_reason=unsafe_reason,
        notes=tuple(draft.notes),
    )


def _plan_profiles(
    desired: DesiredRouter, live_profiles: Mapping[str, LiveItem], adopt: bool, draft: _Draft
) -> None:
    """Profiles: create / update / conflict."""
    for name, profile in desired.profiles.items():
        current = live_profiles.get(name)
        if current is None:
            draft.changes.append(
                _create("profile", name, None, "package defined in the repository", profile.attrs)
            )
            continue
        if is_builtin(current):
            continue
        owned = is_managed(current, desired.prefix)
        wanted = profile.attrs
        if owned:  # passthrough keys isk wrote before and the YAML no longer has: unset
            dropped = passthrough_of_comment(current.attrs.get("comment", ""))
            wanted = {**wanted, **{key: "" for key in dropped if key not in wanted}}
        diff = field_diff(wanted, current.attrs)
        if not diff:
            continue
        reason = f"package {name} changed" if owned else f"package {name} defined in the repository"
        if not owned and not adopt:
            draft.changes.append(_conflict("profile", name, None, diff))
            continue
        if not owned:
            reason = f"adopted with --adopt: {reason}"
        draft.changes.append(_update("update", "profile", name, None, reason, diff, None))


def _plan_secrets(
    desired: DesiredRouter,
    live_secrets: Mapping[str, LiveItem],
    sessions: set[str],
    adopt: bool,
    draft: _Draft,
) -> None:
    """Secrets: create / update / enable / disable / conflict / disconnect."""
    for name, secret in desired.secrets.items():
        current = live_secrets.get(name)
        if current is None:
            draft.changes.append(
                _create(
                    "secret",
                    name,
                    secret.customer,
                    secret.reason,
                    secret.attrs,
                    secret.password_source,
                )
            )
            draft.final_profiles[name] = secret.attrs["profile"]
            continue
        diff = field_diff(secret.attrs, current.attrs)
        owned = is_managed(current, desired.prefix)
        if not owned and not (adopt or secret.adopt):
            if diff:
                draft.changes.append(_conflict("secret", name, secret.customer, diff))
            draft.final_profiles[name] = current.attrs.get("profile", "")
            continue
        draft.final_profiles[name] = secret.attrs["profile"]
        if "password" in secret.attrs and "password" not in current.attrs:
            draft.unreadable += 1
        _plan_secret_change(desired, secret, current, diff, owned, name in sessions, draft)


def _plan_secret_change(
    desired: DesiredRouter,
    secret: DesiredSecret,
    current: LiveItem,
    diff: Mapping[str, tuple[str | None, str | None]],
    owned: bool,
    online: bool,
    draft: _Draft,
) -> None:
    """The change (if any) and the session cut (if any) for a secret isk may write."""
    action = secret_action(secret, current, diff, desired.suspend.isolate_profile)
    why = None
    pending = pending_of_comment(current.attrs.get("comment", ""))
    if desired.suspend.disconnect and online:
        why = disconnect_reason(secret, current, diff, action)
        if why is None and pending is not None and pending_still_needed(secret, pending):
            why = PENDING_REASON
    if diff:
        reason = secret.reason
        if action == "update":  # not an access change: say what differs
            reason = f"{', '.join(sorted(diff))} differs from the repository ({reason})"
            if (
                pending is not None
                and not why
                and set(diff) == {"comment"}
                and without_pending(current.attrs.get("comment", "")) == secret.attrs["comment"]
            ):
                reason = (
                    "clears the disconnect mark of an interrupted apply; the session "
                    f"may go on ({secret.reason})"
                )
        if not owned:
            reason = f"adopted: {reason}"
        change = _update(
            action,
            "secret",
            secret.name,
            secret.customer,
            reason,
            diff,
            secret.password_source if "password" in diff else None,
        )
        if why:  # apply marks the comment until the session is gone (see PENDING_MARK)
            change = replace(change, target={**change.target, "comment": secret.attrs["comment"]})
        draft.changes.append(change)
    if why:
        draft.changes.append(Change("disconnect", "session", secret.name, secret.customer, why))


def _plan_secret_removals(
    desired: DesiredRouter, live_secrets: Mapping[str, LiveItem], sessions: set[str], draft: _Draft
) -> None:
    """Unmanaged secrets counted; managed ones no longer desired deleted (sessions cut first),
    unless their customer is protected."""
    prefix = desired.prefix
    for name, current in live_secrets.items():
        if not is_managed(current, prefix):
            draft.unmanaged += 1
            draft.final_profiles.setdefault(name, current.attrs.get("profile", ""))
            continue
        if name in desired.secrets:
            continue
        customer = customer_of_comment(prefix, current.attrs.get("comment", ""))  # a secret
        if desired.backend == "radius":
            # Moving to RADIUS: the secret goes (a local secret would win over RADIUS) but
            # its session stays; it re-authenticates against the store when it reconnects.
            reason = f"router {desired.router} uses RADIUS: the account is served by the store"
            draft.changes.append(
                Change("delete", "secret", name, customer, reason, fields=_removed(current.attrs))
            )
            continue
        if customer in desired.protected:
            draft.notes.append(
                f"secret {name} kept: customer {customer} has protect: true "
                f"({desired.absent[customer]}); remove it by hand or set protect: false"
            )
            draft.final_profiles.setdefault(name, current.attrs.get("profile", ""))
            continue
        reason = deletion_reason(desired, customer, live_secrets)
        if desired.suspend.disconnect and name in sessions:
            draft.changes.append(
                Change("disconnect", "session", name, customer, f"account deleted: {reason}")
            )
        draft.changes.append(
            Change("delete", "secret", name, customer, reason, fields=_removed(current.attrs))
        )


def _plan_profile_removals(
    desired: DesiredRouter, live_profiles: Mapping[str, LiveItem], draft: _Draft
) -> None:
    """Unmanaged profiles counted; managed ones no longer desired deleted once no secret
    uses them after apply (else kept with a note)."""
    in_use = set(draft.final_profiles.values())
    for name, current in live_profiles.items():
        if is_builtin(current):
            continue
        if not is_managed(current, desired.prefix):
            draft.unmanaged += 1
            continue
        if name in desired.profiles:
            continue
        if name in in_use:
            users = sorted(s for s, used in draft.final_profiles.items() if used == name)
            shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
            draft.notes.append(
                f"profile {name} kept: no longer in the repository but still used by {shown}"
            )
            continue
        draft.changes.append(
            Change(
                "delete",
                "profile",
                name,
                None,
                f"package {name} is no longer in the repository",
                fields=_removed(current.attrs),
            )
        )


def plan_pools(
    desired: DesiredRouter, live: LiveState, named: Mapping[str, str], *, adopt: bool
) -> tuple[list[Change], int, list[str]]:
    """Create / update / conflict for the declared pools, delete for managed pools no longer
    declared (unless still used); returns (changes, unmanaged count, notes)."""
    prefix = desired.prefix
    changes: list[Change] = []
    live_pools = {item.name: item for item in live.pools}
    for name, pool in desired.pools.items():
        current = live_pools.get(name)
        if current is None:
            reason = "IP pool declared in routers.yaml"
            changes.append(_create("pool", name, None, reason, pool.attrs))
            continue
        diff = same_pool(pool.attrs, current.attrs)
        if not diff:
            continue
        owned = is_managed(current, prefix)
        if not owned and not adopt:
            changes.append(_conflict("pool", name, None, diff))
            continue
        reason = "IP pool changed in routers.yaml" if owned else "adopted with --adopt"
        changes.append(_update("update", "pool", name, None, reason, diff, None))
    used = pools_in_use(named, live.profiles, live.pools)
    notes: list[str] = []
    unmanaged = 0
    for name, current in live_pools.items():
        if not is_managed(current, prefix):
            unmanaged += 1
        elif name not in desired.pools and name in used:
            notes.append(f"IP pool {name} kept: no longer in routers.yaml but still in use")
        elif name not in desired.pools:
            reason = f"IP pool {name} is no longer in routers.yaml"
            changes.append(
                Change("delete", "pool", name, None, reason, fields=_removed(current.attrs))
            )
    return changes, unmanaged, notes


def deletion_reason(
    desired: DesiredRouter, customer: str | None, live_names: Container[str] = ()
) -> str:
    """Why a managed secret goes: the billing reason, or where its customer went (in
    words that say what happened: a copy beside the customer's own secret is a copy)."""
    if customer is None:
        return "its ownership comment names no customer"
    if customer in desired.absent:
        return desired.absent[customer]
    where = desired.placement.get(customer)
    if where is None:
        return f"customer {customer} is no longer in the repository"
    router, username = where
    if router != desired.router:
        return f"customer {customer} moved to router {router}"
    if username in live_names:
        return (
            f"a copy of customer {customer}'s secret {username} (it carries the same "
            "ownership comment, e.g. copied in Winbox)"
        )
    return f"customer {customer}'s username changed to {username}"


def config_fingerprint(live: LiveState) -> str:
    """The fingerprint a saved plan is checked against: pools, profiles and secrets.

    Sessions come and go all day on a busy router; a plan stays valid while they do
    (a disconnect is resolved by name at apply time and skipped if the session is gone).
    """
    return replace(live, active=()).fingerprint()


def is_builtin(item: LiveItem) -> bool:
    return item.name in RESERVED_PROFILES or item.attrs.get("default") in ("true", "yes")


def field_diff(
    desired: Mapping[str, str], live: Mapping[str, str]
) -> dict[str, tuple[str | None, str | None]]:
    """Managed fields whose live value differs; passwords are compared but never shown.

    A router that does not print passwords (API user without the `sensitive` policy)
    cannot be compared, so the password is then left alone (`plan_router` says so in a
    router note).
    """
    diff: dict[str, tuple[str | None, str | None]] = {}
    for key, wanted in desired.items():
        if key == "name":
            continue
        current = live.get(key)
        if key == "password":
            if current is not None and current != wanted:
                diff[key] = (HIDDEN, CHANGED)
            continue
        if wanted == "":
            if current in (None, "") or current == EMPTY_DEFAULTS.get(key):
                continue
        elif current == wanted:
            continue
        diff[key] = (current, wanted or None)
    return diff


def secret_action(
    secret: DesiredSecret,
    current: LiveItem,
    diff: Mapping[str, tuple[str | None, str | None]],
    isolate_profile: str | None,
) -> Action:
    """`disable`/`enable` for what reviewers look for: suspensions and restorations
    (in isolate mode: moving into or out of the isolate profile)."""
    if "disabled" in diff:
        return "disable" if diff["disabled"][1] == "true" else "enable"
    if "profile" in diff:
        if secret.isolated:
            return "disable"
        if isolate_profile and current.attrs.get("profile") == isolate_profile:
            return "enable"
    return "update"


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


def _create(
    kind: Kind,
    name: str,
    customer: str | None,
    reason: str,
    attrs: Mapping[str, str],
    password_source: str | None = None,
) -> Change:
    target = {key: value for key, value in attrs.items() if value != "" and key != "password"}
    fields: dict[str, tuple[str | None, str | None]] = {
        key: (None, value) for key, value in target.items() if key != "name"
    }
    if "password" in attrs:
        fields["password"] = (None, SET)
    return Change(
        "create",
        kind,
        name,
        customer,
        reason,
        dict(sorted(fields.items())),
        target,
        password_source if "password" in attrs else None,
    )


def _update(
    action: Action,
    kind: Kind,
    name: str,
    customer: str | None,
    reason: str,
    diff: Mapping[str, tuple[str | None, str | None]],
    password_source: str | None,
) -> Change:
    target = {key: (to or "") for key, (_, to) in diff.items() if key != "password"}
    return Change(
        action, kind, name, customer, reason, dict(sorted(diff.items())), target, password_source
    )


def _conflict(
    kind: Kind, name: str, customer: str | None, diff: Mapping[str, tuple[str | None, str | None]]
) -> Change:
    reason = f"an unmanaged {kind} named {name} already exists on the router; --adopt takes it over"
    return Change("conflict", kind, name, customer, reason, dict(sorted(diff.items())))


def _removed(attrs: Mapping[str, str]) -> dict[str, tuple[str | None, str | None]]:
    shown = {
        key: attrs[key] for key in ("profile", "comment", "rate-limit", "ranges") if key in attrs
    }
    return {key: (value, None) for key, value in shown.items()}
