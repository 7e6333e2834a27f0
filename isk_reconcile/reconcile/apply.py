"""Apply a plan to real routers (the planning shell is `reconcile.run.run_plan`).

`run_apply` applies a plan: one thread and one
connection per router (a failing router never stops the others), a fresh read whose
fingerprint must match the plan ("stale plan" otherwise), the changes in the spec's
order as pipelined batches, then a verification read and re-plan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.collector import collector_paused
from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.comments import pending_mark, pending_of_comment, without_pending
from isk_reconcile.reconcile.desired import DesiredRouter, desired_state
from isk_reconcile.reconcile.disconnects import sessions_to_cut
from isk_reconcile.reconcile.passwords import decrypt_desired, resolve_sources
from isk_reconcile.reconcile.plan import config_fingerprint, make_plan
from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.reconcile.verify import saved_plan_problem
from isk_reconcile.routeros.client import ConnectionLost, RouterClient
from isk_reconcile.routeros.connection import connect
from isk_reconcile.routeros.fleet import parallel_routers
from isk_reconcile.routeros.types import (
    ACTIVE,
    POOL,
    PROFILE,
    SECRET,
    LiveItem,
    LiveState,
    Write,
    WriteResult,
)
from isk_reconcile.state.digestcache import SealedPassword
from isk_reconcile.state.model import State

# progress(router, writes done, writes total)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RouterApplyResult:
    router: str
    status: str  # "applied" | "unchanged" | "refused" | "stale" | "error"
    applied: int = 0  # writes the router accepted
    errors: tuple[str, ...] = ()
    residual: tuple[Change, ...] = ()  # what the verification re-plan still finds
    verified: bool = False

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "unchanged") and not self.errors and not self.residual


@dataclass(frozen=True)
class ApplyReport:
    routers: tuple[RouterApplyResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.routers)


# --- applying -----------------------------------------------------------------------------


# Like run_plan: reads, fingerprints and verification make tens of thousands of
# long-lived objects and no cycles; a collection meanwhile would walk the whole State
# (in a process that did not freeze it: `isk serve`, a program using isk).
@collector_paused()
def run_apply(
    plan: Plan,
    state: State,
    *,
    force: bool = False,
    environ: Mapping[str, str] = os.environ,
    progress: Progress | None = None,
) -> ApplyReport:
    """Apply every router's changes concurrently; refuse unsafe (unless force) and stale."""
    work = [router for router in plan.routers if router.applicable or router.status == "error"]
    if not work:
        return ApplyReport(tuple(RouterApplyResult(r.router, "unchanged") for r in plan.routers))
    sources = [
        change.password_source
        for router in work
        for change in router.applicable
        if change.password_source is not None
    ]
    basis = plan.basis_for(state)
    failures: dict[str, str] = {}
    if basis is not None:  # planned from this State: verify against the same inputs
        passwords, wanted = basis.passwords, basis.standings
        written = known_sources(plan, state, passwords)
        written.update(resolve_sources(set(sources) - written.keys(), environ))
    else:  # a saved plan: billing and passwords from the repo as it is now
        written = resolve_sources(sources, environ)
        wanted = standings(state, plan.as_of)
        names = [router.router for router in work if router.router in state.routers]
        passwords, failures = decrypt_desired(state, wanted, names, environ)

    def apply_one(router_plan: RouterPlan) -> RouterApplyResult:
        if not router_plan.applicable and router_plan.status != "error":
            return RouterApplyResult(router_plan.router, "unchanged")
        if router_plan.router in failures and router_plan.status != "error":
            problem = RouterError(router_plan.router, failures[router_plan.router])
            return RouterApplyResult(router_plan.router, "error", errors=(str(problem),))
        try:
            return apply_router(
                router_plan,
                plan.as_of,
                state,
                wanted,
                passwords,
                written,
                force=force,
                environ=environ,
                progress=progress,
                saved_with_adopt=plan.adopt if basis is None else None,
                known=basis.desired if basis is not None else None,
            )
        except RouterError as problem:
            return RouterApplyResult(router_plan.router, "error", errors=(str(problem),))

    with ThreadPoolExecutor(max_workers=min(parallel_routers(environ), len(plan.routers))) as pool:
        results = list(pool.map(apply_one, plan.routers))
    return ApplyReport(tuple(results))


def known_sources(plan: Plan, state: State, passwords: Mapping[str, str]) -> dict[str, str]:
    """Plaintext for the passwords a plan writes, from the passwords it was made with."""
    known: dict[str, str] = {}
    for router in plan.routers:
        for change in router.applicable:
            customer = state.customers.get(change.customer or "")
            if (
                change.password_source is not None
                and customer is not None
                and customer.pppoe.password == change.password_source
                and change.customer in passwords
                # known by its digest only (a plan compares, never writes): decrypted below
                and not isinstance(passwords[change.customer], SealedPassword)
            ):
                known[change.password_source] = passwords[change.customer]
    return known


def apply_router(
    router_plan: RouterPlan,
    as_of: date,
    state: State,
    wanted: Mapping[str, Standing],
    passwords: Mapping[str, str],
    written: Mapping[str, str],
    *,
    force: bool,
    environ: Mapping[str, str],
    progress: Progress | None,
    saved_with_adopt: bool | None = None,
    known: Mapping[str, DesiredRouter] | None = None,
) -> RouterApplyResult:
    """One router: refuse (error, unsafe, unknown), or read it again, refuse a stale plan,
    write the batches and verify with a fresh read and a re-plan. `saved_with_adopt` is set
    (to the plan's --adopt) when the plan came from a file: it is then recomputed from the
    fresh read and refused unless it is exactly that (reconcile.verify). `known`: the
    desired states the plan was made with, when made from these very inputs: the
    verification re-plan compares against them instead of building them again."""
    name = router_plan.router
    refused = _refusal(router_plan, state, force)
    if refused is not None:
        return refused
    with connect(state.routers[name], environ) as client:
        live = client.read()
        if config_fingerprint(live) != router_plan.fingerprint:
            return RouterApplyResult(
                name,
                "stale",
                errors=(f"stale plan: router {name} changed since the plan was made; plan again",),
            )
        if saved_with_adopt is not None:
            problem = _edited(router_plan, as_of, state, wanted, passwords, live, saved_with_adopt)
            if problem is not None:
                errors = (f"{name}: saved plan refused: {problem}; nothing written",)
                return RouterApplyResult(name, "refused", errors=errors)
        # Sessions are not in the fingerprint: one that appeared since the plan was made
        # is cut too when its account's change needs it (SPEC §4 Sessions).
        changes = router_plan.applicable
        changes += sessions_to_cut(changes, live, state.suspend_for(name).disconnect)
        batches = build_batches(changes, live, written)
        total = sum(len(batch) for batch in batches)
        results: list[WriteResult] = []
        errors: list[str] = []
        try:
            _write_batches(client, name, batches, Blocker(live), results, errors, progress)
        except ConnectionLost as lost:
            return _connection_lost(name, results, errors, lost, total)
        applied = sum(1 for result in results if result.ok)
        after = client.read()
    verify = make_plan(state, as_of, wanted, {name: after}, passwords=passwords, known=known)
    return _verified(name, verify, applied, errors)


def _connection_lost(
    name: str,
    results: list[WriteResult],
    errors: list[str],
    lost: ConnectionLost,
    total: int,
) -> RouterApplyResult:
    applied = sum(1 for result in [*results, *lost.results] if result.ok)
    return RouterApplyResult(
        name,
        "error",
        applied=applied,
        errors=(
            *errors,
            f"{name}: connection lost after {applied} of {total} writes of the plan "
            f"completed ({lost.reason}); apply again to finish",
        ),
    )


def _verified(name: str, verify: Plan, applied: int, errors: list[str]) -> RouterApplyResult:
    """The result of an apply whose writes completed, from the re-plan of a fresh read:
    converged when nothing is left to change."""
    (checked,) = verify.routers
    if checked.status == "error":
        errors.append(checked.error or f"{name}: verification failed")
    residual = checked.applicable
    if residual:
        errors.append(f"{name}: not converged: {len(residual)} change(s) remain after apply")
    return RouterApplyResult(
        name, "applied", applied=applied, errors=tuple(errors), residual=residual, verified=True
    )


def _edited(
    router_plan: RouterPlan,
    as_of: date,
    state: State,
    wanted: Mapping[str, Standing],
    passwords: Mapping[str, str],
    live: LiveState,
    adopt: bool,
) -> str | None:
    """Why a saved plan is not what the repository and this read make (None: it is)."""
    name = router_plan.router
    expected = make_plan(state, as_of, wanted, {name: live}, adopt=adopt, passwords=passwords)
    desired = desired_state(state, wanted, name, passwords)
    comments = {key: item.attrs.get("comment", "") for key, item in desired.secrets.items()}
    return saved_plan_problem(router_plan, expected.routers[0], live, comments)


def _refusal(router_plan: RouterPlan, state: State, force: bool) -> RouterApplyResult | None:
    """Why this router's plan is not applied at all (None: go ahead)."""
    name = router_plan.router
    if router_plan.status == "skipped":
        note = "; ".join(router_plan.notes) or "skipped"
        return RouterApplyResult(
            name, "refused", errors=(f"{name}: not planned ({note}); plan it again",)
        )
    if router_plan.status == "error":
        return RouterApplyResult(
            name, "error", errors=(router_plan.error or f"{name}: unreachable",)
        )
    if router_plan.status == "unsafe" and not force:
        return RouterApplyResult(
            name,
            "refused",
            errors=(
                f"{name}: unsafe plan refused ({router_plan.unsafe_reason}); "
                "review it and use --force",
            ),
        )
    if name not in state.routers:
        return RouterApplyResult(name, "error", errors=(f"{name}: not in routers.yaml",))
    return None


def _write_batches(
    client: RouterClient,
    name: str,
    batches: Sequence[Sequence[Write]],
    blocker: Blocker,
    results: list[WriteResult],
    errors: list[str],
    progress: Progress | None,
) -> None:
    """Write the batches in order, skipping what depends on an earlier failure; results
    and error lines are collected as they come (ConnectionLost leaves them as far as they
    got)."""
    total = sum(len(batch) for batch in batches)
    done = 0

    def report(count: int) -> None:
        if progress is not None:
            progress(name, done + count, total)

    for batch in batches:
        ready: list[Write] = []
        for write in batch:
            why = blocker.blocked(write)
            if why is None:
                ready.append(write)
            else:
                errors.append(f"{name}: {describe(write)} skipped: {why}")
        done += len(batch) - len(ready)
        batch_results = [settled(r) for r in client.execute([ready], progress=report)]
        results.extend(batch_results)
        done += len(ready)
        for result in batch_results:
            if not result.ok:
                blocker.failed(result.write)
                errors.append(f"{name}: {describe(result.write)} failed: {result.error}")


def settled(result: WriteResult) -> WriteResult:
    """A session that ended by itself between the read and its removal is no error: the
    goal (no session) is met."""
    if (
        not result.ok
        and result.write.menu == ACTIVE
        and result.write.command == "remove"
        and "no such item" in (result.error or "")
    ):
        return replace(result, ok=True, error=None)
    return result


class Blocker:
    """Which later writes depend on a write that failed; everything else still runs (a
    trap on one secret must not keep every suspended customer online).

    - a later write for the same account (its disconnect, its mark clearing, its
      deletion) waits for the next apply: the account is not in the state they assume;
    - a secret moved onto a profile whose creation failed would be refused: skipped;
    - a profile is not deleted while a secret whose write failed still uses it.
    """

    def __init__(self, live: LiveState) -> None:
        self._live_profile = {item.name: item.attrs.get("profile", "") for item in live.secrets}
        self._accounts: set[str] = set()
        self._profiles: set[str] = set()
        self._held: set[str] = set()

    def failed(self, write: Write) -> None:
        if write.menu == PROFILE:
            if write.command == "add":  # an update that failed leaves the profile usable
                self._profiles.add(write.name)
            return
        self._accounts.add(write.name)
        if write.menu == SECRET:
            self._held.add(self._live_profile.get(write.name, ""))

    def blocked(self, write: Write) -> str | None:
        if write.menu in (SECRET, ACTIVE) and write.name in self._accounts:
            return f"an earlier write for {write.name} failed"
        profile = write.attrs.get("profile")
        if write.menu == SECRET and profile in self._profiles:
            return f"profile {profile} was not written"
        if write.menu == PROFILE and write.command == "remove" and write.name in self._held:
            return "a secret whose write failed still uses it"
        return None


def describe(write: Write) -> str:
    """`customer budi: /ppp/secret/set budi`: who and which entry, for error lines."""
    where = f"{write.menu}/{write.command} {write.name}"
    return f"customer {write.customer}: {where}" if write.customer else where


MENU_OF_KIND = {"pool": POOL, "profile": PROFILE, "secret": SECRET, "session": ACTIVE}
CLEAR_MARKS = 2.5  # the batch right after the disconnects (group 2)


def build_batches(
    changes: Sequence[Change], live: LiveState, written: Mapping[str, str]
) -> list[list[Write]]:
    """The writes for `changes`, one batch per group in the spec's order. Entries are
    found by name in the fresh read (ids do not survive reboots)."""
    found = _Found(live)
    cut = {change.name for change in changes if change.kind == "session"}
    groups: dict[float, list[Write]] = {}
    for change in changes:
        writes = groups.setdefault(change.group, [])
        if change.kind == "session":
            writes.extend(
                Write(ACTIVE, "remove", {".id": sid}, change.name, change.customer)
                for sid in found.sessions.get(change.name, ())
            )
            continue
        attrs = dict(change.target)
        if change.password_source is not None:
            attrs["password"] = _plaintext(change, written, live.router)
        marked = (
            change.kind == "secret"
            and change.action not in ("create", "delete")
            and change.name in cut
            and bool(found.sessions.get(change.name))
        )
        plain_comment = _mark_pending(change, attrs, found) if marked else ""
        if marked:
            groups.setdefault(CLEAR_MARKS, [])
        writes.extend(_entry_writes(change, attrs, found, live.router))
        if marked and plain_comment:
            menu = MENU_OF_KIND[change.kind]
            item_id = found.ids[menu][change.name]
            groups[CLEAR_MARKS].append(
                Write(
                    menu,
                    "set",
                    {".id": item_id, "comment": plain_comment},
                    change.name,
                    change.customer,
                )
            )
    return [groups[key] for key in sorted(groups) if groups[key]]


class _Found:
    """The fresh read, by name: entry ids per menu, secrets, session ids."""

    def __init__(self, live: LiveState) -> None:
        self.ids = {
            POOL: {item.name: item.id for item in live.pools},
            PROFILE: {item.name: item.id for item in live.profiles},
            SECRET: {item.name: item.id for item in live.secrets},
        }
        self.secrets: dict[str, LiveItem] = {item.name: item for item in live.secrets}
        self.sessions: dict[str, list[str]] = {}
        for item in live.active:
            self.sessions.setdefault(item.name, []).append(item.id)


def _plaintext(change: Change, written: Mapping[str, str], router: str) -> str:
    plaintext = written.get(change.password_source or "")
    if plaintext is None:
        who = f"customer {change.customer}" if change.customer else change.name
        raise RouterError(router, f"{who}: password could not be decrypted")
    return plaintext


def _mark_pending(change: Change, attrs: dict[str, str], found: _Found) -> str:
    """Until its session is cut, the secret says so (crash safety, see PENDING_MARK),
    naming the session fields this change moves (and any an earlier interrupted apply
    left); the batch after the disconnects writes the plain comment back. Returns that
    plain comment."""
    current = found.secrets.get(change.name)
    old = current.attrs.get("comment", "") if current is not None else ""
    plain_comment = attrs.get("comment") or without_pending(old)
    earlier = pending_of_comment(old) or frozenset()
    attrs["comment"] = plain_comment + pending_mark({*change.fields, *earlier})
    return plain_comment


def _entry_writes(
    change: Change, attrs: Mapping[str, str], found: _Found, router: str
) -> list[Write]:
    """The add, remove, or unsets and set that make one profile or secret change."""
    menu = MENU_OF_KIND[change.kind]
    if change.action == "create":
        return [Write(menu, "add", dict(attrs), change.name, change.customer)]
    item_id = found.ids[menu].get(change.name)
    if item_id is None:
        raise RouterError(router, f"{change.kind} {change.name} not found on the router")
    if change.action == "delete":
        return [Write(menu, "remove", {".id": item_id}, change.name, change.customer)]
    # Unsets first: the comment (which records the passthrough keys isk manages) is
    # written by the `set`, so a drop in between leaves the old record and the next
    # plan still unsets what is left.
    writes = [
        Write(menu, "unset", {".id": item_id, "value-name": key}, change.name, change.customer)
        for key, value in attrs.items()
        if value == ""
    ]
    values = {key: value for key, value in attrs.items() if value != ""}
    if values:
        writes.append(Write(menu, "set", {".id": item_id, **values}, change.name, change.customer))
    return writes
