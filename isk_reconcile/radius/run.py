"""Plan and apply the RADIUS store: the shell around the pure desired/plan modules.

The only code (with routeros/) that talks to the store and to routers' RADIUS ports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import psycopg

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.errors import IskError
from isk_reconcile.radius.coa import DisconnectResult, send_disconnect
from isk_reconcile.radius.desired import DesiredStore, desired_store, radius_routers
from isk_reconcile.radius.plan import plan_store
from isk_reconcile.radius.store import (
    LiveStore,
    Writes,
    connect,
    dsn_from_env,
    lock,
    read_store,
    write_store,
)
from isk_reconcile.reconcile.passwords import decrypt_passwords
from isk_reconcile.reconcile.plan_types import RouterPlan
from isk_reconcile.state.model import State


@dataclass(frozen=True)
class StoreApply:
    plan: RouterPlan
    written: int = 0  # changes applied
    refused: str | None = None
    error: str | None = None  # a failed write (rolled back) or a residual difference
    disconnects: tuple[DisconnectResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return (
            self.refused is None
            and self.error is None
            and all(result.ok for result in self.disconnects)
        )


def radius_secrets(state: State, environ: Mapping[str, str]) -> dict[str, str]:
    """Router name -> RADIUS shared secret, from the environment only."""
    secrets: dict[str, str] = {}
    for router in radius_routers(state):
        value = environ.get(router.radius_secret_variable)
        if not value:
            raise IskError(
                f"router {router.name}: set ${router.radius_secret_variable} to its RADIUS "
                "shared secret"
            )
        secrets[router.name] = value
    return secrets


def desired_for(
    state: State,
    as_of: date,
    environ: Mapping[str, str],
    wanted: Mapping[str, Standing] | None = None,
) -> DesiredStore:
    wanted = standings(state, as_of) if wanted is None else wanted
    names = [router.name for router in radius_routers(state)]
    passwords = decrypt_passwords(state, environ, names)
    return desired_store(state, wanted, passwords, radius_secrets(state, environ))


def plan_radius(
    state: State,
    as_of: date,
    *,
    adopt: bool = False,
    environ: Mapping[str, str] = os.environ,
    dsn: str | None = None,
) -> RouterPlan:
    """The store's plan, or a plan with status error naming what failed."""
    try:
        desired = desired_for(state, as_of, environ)
        dsn = dsn or dsn_from_env(state.settings.radius.dsn_env)
        with connect(dsn) as conn:
            live = read_store(conn, desired.prefix)
    except (IskError, psycopg.Error) as problem:
        return _error_plan(problem)
    return plan_store(desired, live, state.settings.safety, adopt=adopt)


def _error_plan(problem: BaseException) -> RouterPlan:
    text = str(problem).strip().splitlines()
    return RouterPlan(
        router="radius", status="error", error=text[0] if text else "error", target="radius"
    )


def apply_radius(
    state: State,
    as_of: date,
    *,
    adopt: bool = False,
    force: bool = False,
    environ: Mapping[str, str] = os.environ,
    dsn: str | None = None,
    expect: str | None = None,
) -> StoreApply:
    """Plan under the apply lock, write the changes in one transaction, read back and
    verify, then disconnect the sessions that must end. `expect`: the fingerprint of a
    saved plan; a store that no longer matches it is refused as a stale plan."""
    try:
        desired = desired_for(state, as_of, environ)
        dsn = dsn or dsn_from_env(state.settings.radius.dsn_env)
        conn = connect(dsn)
    except IskError as problem:
        return StoreApply(_error_plan(problem), error=str(problem))
    with conn:
        try:
            lock(conn)
            live = read_store(conn, desired.prefix)
            plan = plan_store(desired, live, state.settings.safety, adopt=adopt)
            if expect is not None and plan.fingerprint != expect:
                conn.rollback()
                return StoreApply(plan, refused="stale plan: the store changed since it was made")
            if plan.status == "unsafe" and not force:
                conn.rollback()
                return StoreApply(plan, refused=f"unsafe: {plan.unsafe_reason} (--force applies)")
            writes = writes_of(plan)
            write_store(conn, desired, writes, locked=True)
            conn.commit()
        except psycopg.Error as problem:
            conn.rollback()
            return StoreApply(_error_plan(problem), error=f"RADIUS store: {problem}")
        after = read_store(conn, desired.prefix)
        conn.commit()
    residual = [
        change
        for change in plan_store(desired, after, state.settings.safety, adopt=adopt).changes
        if change.kind != "session" and change.applies
    ]
    error = None
    if residual:
        names = ", ".join(f"{change.kind} {change.name}" for change in residual[:5])
        error = f"RADIUS store not converged after apply: {names}"
    applied = sum(1 for change in plan.changes if change.applies and change.kind != "session")
    cuts = disconnect_sessions(state, desired, live, plan, environ)
    return StoreApply(plan, applied, error=error, disconnects=cuts)


def writes_of(plan: RouterPlan) -> Writes:
    def names(kind: str) -> frozenset[str]:
        return frozenset(
            change.name for change in plan.changes if change.kind == kind and change.applies
        )

    return Writes(names("user"), names("group"), names("nas"))


def disconnect_sessions(
    state: State,
    desired: DesiredStore,
    live: LiveStore,
    plan: RouterPlan,
    environ: Mapping[str, str],
) -> tuple[DisconnectResult, ...]:
    """Send a Disconnect-Request for every planned session cut, to the router the
    repository places the customer on (never to an address read from the store)."""
    secrets = radius_secrets(state, environ)
    by_user: dict[str, list] = {}
    for session in live.sessions:
        by_user.setdefault(session.username, []).append(session)
    results: list[DisconnectResult] = []
    for change in plan.changes:
        if change.kind != "session":
            continue
        customer = state.customers.get(change.customer or "")
        router = state.routers.get(customer.router) if customer else None
        if router is None or router.backend != "radius":
            results.append(DisconnectResult(change.name, "error", "no RADIUS router for it"))
            continue
        for session in by_user.get(change.name, ()):
            result = send_disconnect(
                router.radius_address,
                router.coa_port,
                secrets[router.name],
                change.name,
                session.session_id,
                session.framed_ip,
                timeout=state.settings.radius.coa_timeout,
            )
            results.append(replace(result, detail=result.detail or router.name))
    return tuple(results)
