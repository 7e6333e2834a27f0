"""The plan (SPEC §5): what must change on each router, and why. Pure.

`make_plan` compares each router's desired state with its live state and yields
ordered, field-level changes with reasons, ownership conflicts, unmanaged counts and
a safety verdict; `plan_router` does it for one router, section by section (pools,
profiles, secrets, removals). Passwords never appear in a plan: a password field shows
only "(changed)"/"(set)", and a change that writes a password carries the stored
ciphertext (`password_source`), which `apply` decrypts at write time.

The values it makes are in `plan_types`; comparing one item in `diff`; when a session
must be cut in `disconnects`; the safety verdict in `safety`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from isk_reconcile.billing.engine import Standing
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.reconcile.comments import (
    customer_of_comment,
    is_managed,
    passthrough_of_comment,
    pending_of_comment,
    without_pending,
)
from isk_reconcile.reconcile.desired import DesiredRouter, DesiredSecret, desired_state
from isk_reconcile.reconcile.diff import deletion_reason, field_diff, is_builtin, secret_action
from isk_reconcile.reconcile.disconnects import (
    PENDING_REASON,
    disconnect_reason,
    pending_still_needed,
)
from isk_reconcile.reconcile.plan_types import (
    SET,
    Action,
    Change,
    Kind,
    Plan,
    PlanBasis,
    RouterPlan,
)
from isk_reconcile.reconcile.pools import in_use as pools_in_use
from isk_reconcile.reconcile.pools import missing_pools, pools_named, same_pool
from isk_reconcile.reconcile.safety import safety_verdict, summarize
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import SafetySettings


def make_plan(
    state: State,
    as_of: date,
    standings: Mapping[str, Standing],
    live: Mapping[str, LiveState | RouterError],
    *,
    adopt: bool = False,
    passwords: Mapping[str, str],
    known: Mapping[str, DesiredRouter] | None = None,
) -> Plan:
    """The plan for every router in `live` (in routers.yaml order). `known`: desired
    states already made from these very inputs (apply's verification re-plan reuses the
    plan's, see PlanBasis), not made again."""
    order = [name for name in state.routers if name in live]
    order += sorted(name for name in live if name not in state.routers)
    router_plans = []
    made: dict[str, DesiredRouter] = {}
    for name in order:
        observed = live[name]
        if isinstance(observed, BaseException):
            router_plans.append(RouterPlan(router=name, status="error", error=str(observed)))
            continue
        try:
            desired = (known or {}).get(name) or desired_state(state, standings, name, passwords)
            made[name] = desired
        except IskError as problem:  # e.g. a password that did not decrypt: this router only
            router_plans.append(
                RouterPlan(router=name, status="error", error=str(RouterError(name, str(problem))))
            )
            continue
        router_plans.append(plan_router(desired, observed, state.safety_for(name), adopt=adopt))
    basis = PlanBasis(state, standings, passwords, made)
    return Plan(as_of=as_of, commit=None, routers=tuple(router_plans), basis=basis, adopt=adopt)


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


def config_fingerprint(live: LiveState) -> str:
    """The fingerprint a saved plan is checked against: pools, profiles and secrets.

    Sessions come and go all day on a busy router; a plan stays valid while they do
    (a disconnect is resolved by name at apply time and skipped if the session is gone).
    """
    return replace(live, active=()).fingerprint()


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
