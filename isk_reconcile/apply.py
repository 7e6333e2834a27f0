"""Plan and apply against real routers: the shell around the pure `plan`.

`run_plan` reads the routers (one print per menu, routers concurrently), decrypts the
passwords once and makes the plan. `run_apply` applies a plan: one thread and one
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
from pathlib import Path

from isk_reconcile.billing import Standing, standings
from isk_reconcile.errors import RouterError
from isk_reconcile.model import State
from isk_reconcile.plan import (
    PENDING_MARK,
    Change,
    Plan,
    RouterPlan,
    change_group,
    config_fingerprint,
    make_plan,
)
from isk_reconcile.routeros.client import ConnectionLost, RouterClient, connect
from isk_reconcile.routeros.fleet import on_routers
from isk_reconcile.routeros.fleet import select_routers as select
from isk_reconcile.routeros.types import ACTIVE, PROFILE, SECRET, LiveState, Write, WriteResult
from isk_reconcile.secrets import decrypt_all, load_identity

# progress(router, writes done, writes total)
Progress = Callable[[str, int, int], None]
MAX_THREADS = 16


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


# --- planning -----------------------------------------------------------------------------


def select_routers(state: State, routers: Sequence[str] | None) -> list[str]:
    """Router names to work on (all when none are named), in routers.yaml order."""
    chosen = {router.name for router in select(state, routers)}
    return [name for name in state.routers if name in chosen]


def decrypt_passwords(state: State, environ: Mapping[str, str]) -> dict[str, str]:
    """Customer id -> plaintext PPPoE password, decrypted in one pass."""
    sources = {cid: c.pppoe.password for cid, c in state.customers.items() if c.pppoe.password}
    plain = resolve_sources(sources.values(), environ)
    return {cid: plain[source] for cid, source in sources.items()}


def resolve_sources(sources, environ: Mapping[str, str]) -> dict[str, str]:
    """Stored password value -> plaintext: "age:..." is decrypted, anything else is a
    plaintext the loader already allowed (secrets.allow_plaintext)."""
    unique = set(sources)
    encrypted = sorted(value for value in unique if value.startswith("age:"))
    result = {value: value for value in unique if not value.startswith("age:")}
    if encrypted:
        result.update(decrypt_all(encrypted, load_identity(environ)))
    return result


def repo_commit(repo: Path | None) -> str | None:
    """HEAD of the state repository, or None when it is not a git repository."""
    if repo is None:
        return None
    try:
        import git

        return git.Repo(repo, search_parent_directories=True).head.commit.hexsha
    except Exception:  # not a repo, no commits yet: a plan without a commit
        return None


def read_routers(
    state: State,
    names: Sequence[str],
    environ: Mapping[str, str],
    on_read: Callable[[str, LiveState | RouterError], None] | None = None,
) -> dict[str, LiveState | RouterError]:
    """Every named router read concurrently; a failure is a RouterError value."""
    routers = [state.routers[name] for name in names]
    return dict(on_routers(routers, RouterClient.read, environ, on_result=on_read))


def run_plan(
    state: State,
    as_of: date,
    routers: Sequence[str] | None = None,
    adopt: bool = False,
    environ: Mapping[str, str] = os.environ,
    *,
    repo: Path | None = None,
    on_read: Callable[[str, LiveState | RouterError], None] | None = None,
) -> Plan:
    """Read the routers, decrypt passwords once, make the plan (with the repo commit)."""
    names = select_routers(state, routers)
    passwords = decrypt_passwords(state, environ)
    live = read_routers(state, names, environ, on_read)
    plan = make_plan(state, as_of, standings(state, as_of), live, adopt=adopt, passwords=passwords)
    return replace(plan, commit=repo_commit(repo))


def drift_count(plan: Plan) -> dict[str, int]:
    """Changes apply would make, per reachable router (for the dashboard)."""
    return {
        router.router: len(router.applicable) for router in plan.routers if router.status != "error"
    }


# --- applying -----------------------------------------------------------------------------


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
    if basis is not None:  # planned from this State: verify against the same inputs
        passwords, wanted = basis.passwords, basis.standings
        written = known_sources(plan, state, passwords)
        written.update(resolve_sources(set(sources) - written.keys(), environ))
    else:  # a saved plan: billing and passwords from the repo as it is now
        written = resolve_sources(sources, environ)
        passwords = decrypt_passwords(state, environ)
        wanted = standings(state, plan.as_of)

    def apply_one(router_plan: RouterPlan) -> RouterApplyResult:
        if not router_plan.applicable and router_plan.status != "error":
            return RouterApplyResult(router_plan.router, "unchanged")
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
            )
        except RouterError as problem:
            return RouterApplyResult(router_plan.router, "error", errors=(str(problem),))

    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(plan.routers))) as pool:
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
) -> RouterApplyResult:
    name = router_plan.router
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
    with connect(state.routers[name], environ) as client:
        live = client.read()
        if config_fingerprint(live) != router_plan.fingerprint:
            return RouterApplyResult(
                name,
                "stale",
                errors=(f"stale plan: router {name} changed since the plan was made; plan again",),
            )
        batches = build_batches(router_plan.applicable, live, written)
        total = sum(len(batch) for batch in batches)
        done = 0
        results: list[WriteResult] = []
        errors: list[str] = []

        def report(count: int) -> None:
            if progress is not None:
                progress(name, done + count, total)

        try:
            for batch in batches:
                batch_results = client.execute([batch], progress=report)
                results.extend(batch_results)
                done += len(batch)
                failed = [result for result in batch_results if not result.ok]
                errors.extend(f"{name}: {describe(r.write)} failed: {r.error}" for r in failed)
                if failed:  # later groups depend on this one (profiles before secrets ...)
                    break
        except ConnectionLost as lost:
            applied = sum(1 for result in [*results, *lost.results] if result.ok)
            return RouterApplyResult(name, "error", applied=applied, errors=(*errors, str(lost)))
        applied = sum(1 for result in results if result.ok)
        after = client.read()
    verify = make_plan(state, as_of, wanted, {name: after}, passwords=passwords)
    residual = verify.routers[0].applicable if verify.routers else ()
    if residual:
        errors.append(f"{name}: not converged: {len(residual)} change(s) remain after apply")
    return RouterApplyResult(
        name, "applied", applied=applied, errors=tuple(errors), residual=residual, verified=True
    )


def describe(write: Write) -> str:
    return f"{write.menu}/{write.command} {write.name}"


MENUS = {"profile": PROFILE, "secret": SECRET, "session": ACTIVE}
CLEAR_MARKS = 2.5  # the batch right after the disconnects (group 2)


def build_batches(
    changes: Sequence[Change], live: LiveState, written: Mapping[str, str]
) -> list[list[Write]]:
    """The writes for `changes`, one batch per group in the spec's order. Entries are
    found by name in the fresh read (ids do not survive reboots)."""
    ids = {
        PROFILE: {item.name: item.id for item in live.profiles},
        SECRET: {item.name: item.id for item in live.secrets},
    }
    sessions: dict[str, list[str]] = {}
    for item in live.active:
        sessions.setdefault(item.name, []).append(item.id)
    cut = {change.name for change in changes if change.kind == "session"}
    groups: dict[float, list[Write]] = {}
    for change in changes:
        menu = MENUS[change.kind]
        writes = groups.setdefault(change_group(change), [])
        if change.kind == "session":
            writes.extend(
                Write(ACTIVE, "remove", {".id": sid}, change.name, change.customer)
                for sid in sessions.get(change.name, ())
            )
            continue
        attrs = dict(change.target)
        if change.password_source is not None:
            attrs["password"] = written[change.password_source]
        marked = (
            change.kind == "secret"
            and change.name in cut
            and bool(sessions.get(change.name))
            and "comment" in attrs
        )
        if marked:
            # Until its session is cut, the secret says so (crash safety, see PENDING_MARK);
            # the batch after the disconnects writes the plain comment back.
            attrs["comment"] = change.target["comment"] + PENDING_MARK
            groups.setdefault(CLEAR_MARKS, [])
        if change.action == "create":
            writes.append(Write(menu, "add", attrs, change.name, change.customer))
            continue
        item_id = ids[menu].get(change.name)
        if item_id is None:
            raise RouterError(live.router, f"{change.kind} {change.name} not found on the router")
        if change.action == "delete":
            writes.append(Write(menu, "remove", {".id": item_id}, change.name, change.customer))
            continue
        # Unsets first: the comment (which records the passthrough keys isk manages) is
        # written by the `set`, so a drop in between leaves the old record and the next
        # plan still unsets what is left.
        writes.extend(
            Write(menu, "unset", {".id": item_id, "value-name": key}, change.name, change.customer)
            for key, value in attrs.items()
            if value == ""
        )
        values = {key: value for key, value in attrs.items() if value != ""}
        if values:
            writes.append(
                Write(menu, "set", {".id": item_id, **values}, change.name, change.customer)
            )
        if marked:
            groups[CLEAR_MARKS].append(
                Write(
                    menu,
                    "set",
                    {".id": item_id, "comment": change.target["comment"]},
                    change.name,
                    change.customer,
                )
            )
    return [groups[key] for key in sorted(groups) if groups[key]]
