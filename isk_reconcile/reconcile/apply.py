"""Plan and apply against real routers: the shell around the pure `plan`.

`run_plan` reads the routers (one print per menu, routers concurrently), decrypts the
passwords once and makes the plan. `run_apply` applies a plan: one thread and one
connection per router (a failing router never stops the others), a fresh read whose
fingerprint must match the plan ("stale plan" otherwise), the changes in the spec's
order as pipelined batches, then a verification read and re-plan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.reconcile.desired import customers_by_router
from isk_reconcile.reconcile.plan import (
    Change,
    Plan,
    RouterPlan,
    change_group,
    config_fingerprint,
    make_plan,
    pending_mark,
    pending_of_comment,
    sessions_to_cut,
    without_pending,
)
from isk_reconcile.routeros.client import ConnectionLost, connect
from isk_reconcile.routeros.fleet import MAX_THREADS, read_all, select_routers
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
from isk_reconcile.state.encryption import decrypt, load_identity
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


# --- planning -----------------------------------------------------------------------------


def router_names(state: State, routers: Sequence[str] | None) -> list[str]:
    """Router names to work on (all when none are named), in routers.yaml order."""
    return [router.name for router in select_routers(state, routers)]


def customer_file(customer_id: str) -> str:
    return f"state/customers/{customer_id}.yaml"


def decrypt_desired(
    state: State,
    wanted: Mapping[str, Standing],
    routers: Iterable[str],
    environ: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """The plaintext passwords of the secrets desired on `routers` (customer id ->
    plaintext), and the routers whose passwords could not all be decrypted (router ->
    error naming the customer file). Customers whose account must not exist (terminated,
    not started) and customers on other routers are not decrypted at all, so one bad
    ciphertext stops only its own router. A missing identity stops everything (IskError):
    it is not one customer's problem."""
    sources: dict[str, str] = {}
    router_of: dict[str, str] = {}
    for router in routers:
        for customer_id, customer in customers_by_router(state).get(router, ()):
            source = customer.pppoe.password
            standing = wanted.get(customer_id)
            if source is None or (standing is not None and standing.access == "absent"):
                continue
            sources[customer_id] = source
            router_of[customer_id] = router
    plain, problems = resolve_each(sources, environ)
    failures: dict[str, str] = {}
    for customer_id in sorted(problems):
        router = router_of[customer_id]
        failures.setdefault(
            router,
            f"customer {customer_id} ({customer_file(customer_id)}): {problems[customer_id]}",
        )
    return plain, failures


def decrypt_passwords(
    state: State, environ: Mapping[str, str], routers: Iterable[str] | None = None
) -> dict[str, str]:
    """Customer id -> plaintext PPPoE password for every customer (on `routers`) with one;
    the first failure is an IskError naming the customer file."""
    names = list(state.routers) if routers is None else list(routers)
    sources = {
        cid: customer.pppoe.password
        for name in names
        for cid, customer in customers_by_router(state).get(name, ())
        if customer.pppoe.password
    }
    plain, problems = resolve_each(sources, environ)
    if problems:
        first = min(problems)
        raise IskError(f"customer {first} ({customer_file(first)}): {problems[first]}")
    return plain


def resolve_each(
    sources: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """key -> stored password decrypted one by one: (plaintexts, key -> error). "age:..."
    is decrypted (each distinct value once); anything else is a plaintext the loader
    already allowed (secrets.allow_plaintext). The identity is loaded only when needed."""
    plain: dict[str, str] = {}
    problems: dict[str, str] = {}
    by_value: dict[str, str | IskError] = {}
    identity = None
    for key, value in sources.items():
        if not value.startswith("age:"):
            plain[key] = value
            continue
        if value not in by_value:
            if identity is None:
                identity = load_identity(environ)
            try:
                by_value[value] = decrypt(value, identity)
            except IskError as problem:
                by_value[value] = problem
        outcome = by_value[value]
        if isinstance(outcome, IskError):
            problems[key] = str(outcome)
        else:
            plain[key] = outcome
    return plain, problems


def resolve_sources(sources: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """Stored password value -> plaintext for the values that decrypt (a value that does
    not is left out: the write that needs it fails with the customer named)."""
    unique = {value: value for value in sources}
    return resolve_each(unique, environ)[0]


def run_plan(
    state: State,
    as_of: date,
    routers: Sequence[str] | None = None,
    adopt: bool = False,
    environ: Mapping[str, str] = os.environ,
    *,
    commit: str | None = None,
    on_read: Callable[[str, LiveState | RouterError], None] | None = None,
) -> Plan:
    """Read the routers, decrypt the passwords they need once, make the plan (stamped with
    `commit`, the state repository's HEAD, which the caller reads from git). A router whose
    passwords do not decrypt is planned as an error that names the customer; the other
    routers are planned as usual."""
    names = router_names(state, routers)
    wanted = standings(state, as_of)
    passwords, failures = decrypt_desired(state, wanted, names, environ)
    readable = [name for name in names if name not in failures]
    read = read_all(state, readable, environ, on_result=on_read)
    live: dict[str, LiveState | RouterError] = {
        name: read[name] if name in read else RouterError(name, failures[name]) for name in names
    }
    plan = make_plan(state, as_of, wanted, live, adopt=adopt, passwords=passwords)
    return replace(plan, commit=commit)


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
        # Sessions are not in the fingerprint: one that appeared since the plan was made
        # is cut too when its account's change needs it (SPEC §4 Sessions).
        changes = router_plan.applicable
        changes += sessions_to_cut(changes, live, state.suspend_for(name).disconnect)
        batches = build_batches(changes, live, written)
        total = sum(len(batch) for batch in batches)
        done = 0
        results: list[WriteResult] = []
        errors: list[str] = []
        blocker = Blocker(live)

        def report(count: int) -> None:
            if progress is not None:
                progress(name, done + count, total)

        try:
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
        except ConnectionLost as lost:
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
        applied = sum(1 for result in results if result.ok)
        after = client.read()
    verify = make_plan(state, as_of, wanted, {name: after}, passwords=passwords)
    (checked,) = verify.routers
    if checked.status == "error":
        errors.append(checked.error or f"{name}: verification failed")
    residual = checked.applicable
    if residual:
        errors.append(f"{name}: not converged: {len(residual)} change(s) remain after apply")
    return RouterApplyResult(
        name, "applied", applied=applied, errors=tuple(errors), residual=residual, verified=True
    )


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


MENUS = {"pool": POOL, "profile": PROFILE, "secret": SECRET, "session": ACTIVE}
CLEAR_MARKS = 2.5  # the batch right after the disconnects (group 2)


def build_batches(
    changes: Sequence[Change], live: LiveState, written: Mapping[str, str]
) -> list[list[Write]]:
    """The writes for `changes`, one batch per group in the spec's order. Entries are
    found by name in the fresh read (ids do not survive reboots)."""
    ids = {
        POOL: {item.name: item.id for item in live.pools},
        PROFILE: {item.name: item.id for item in live.profiles},
        SECRET: {item.name: item.id for item in live.secrets},
    }
    live_secrets: dict[str, LiveItem] = {item.name: item for item in live.secrets}
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
            plaintext = written.get(change.password_source)
            if plaintext is None:
                who = f"customer {change.customer}" if change.customer else change.name
                raise RouterError(live.router, f"{who}: password could not be decrypted")
            attrs["password"] = plaintext
        marked = (
            change.kind == "secret"
            and change.action not in ("create", "delete")
            and change.name in cut
            and bool(sessions.get(change.name))
        )
        plain_comment = ""
        if marked:
            # Until its session is cut, the secret says so (crash safety, see PENDING_MARK),
            # naming the session fields this change moves (and any an earlier interrupted
            # apply left); the batch after the disconnects writes the plain comment back.
            current = live_secrets.get(change.name)
            old = current.attrs.get("comment", "") if current is not None else ""
            plain_comment = attrs.get("comment") or without_pending(old)
            earlier = pending_of_comment(old) or frozenset()
            attrs["comment"] = plain_comment + pending_mark({*change.fields, *earlier})
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
        if marked and plain_comment:
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
