"""The live side of `isk status`: what each router reports, and how far it drifted.

A router's drift is the number of profiles and secrets the plan would change on it. It
is counted with the plan's own parts: the same decryption of the passwords desired on
the routers read (reconcile.passwords) and the same pure plan (reconcile.plan).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from isk_reconcile.billing.engine import Standing
from isk_reconcile.billing.report_types import RouterInfo
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.reconcile.passwords import decrypt_desired
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.routeros.fleet import on_routers
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.state.model import State

Live = Mapping[str, LiveState | RouterError]


def _read_router(client) -> tuple:
    """Everything status needs from one session: two pipelined windows."""
    return client.system(), client.read()


def read_routers(
    state: State,
    names: Sequence[str],
    environ: Mapping[str, str],
    on_result: Callable[[str, object], None] | None = None,
) -> tuple[dict[str, RouterInfo | RouterError], dict[str, LiveState | RouterError]]:
    """Per router (concurrently): what it reports (or its error), and its live state."""
    routers = [state.routers[name] for name in names]
    outcomes = on_routers(routers, _read_router, environ, on_result=on_result)
    info: dict[str, RouterInfo | RouterError] = {}
    live: dict[str, LiveState | RouterError] = {}
    for name, outcome in outcomes.items():
        if isinstance(outcome, RouterError):
            info[name] = outcome
            live[name] = outcome
            continue
        system, observed = outcome
        live[name] = observed
        info[name] = RouterInfo(
            identity=system.identity,
            version=system.version,
            uptime=system.uptime,
            active_sessions=len(observed.active),
        )
    return info, live


def drift_of(
    state: State,
    as_of: date,
    live: Live,
    environ: Mapping[str, str],
    standings: Mapping[str, Standing],
) -> tuple[dict[str, int] | None, list[str]]:
    """The drift counts of the routers read (None when none was, or when it cannot be
    counted at all) and notes on what was left uncounted."""
    notes: list[str] = []
    if all(isinstance(value, RouterError) for value in live.values()):
        return None, notes
    try:
        return count_drift(state, as_of, live, environ, standings, notes), notes
    except IskError as problem:
        notes.append(f"drift not counted: {problem}")
        return None, notes


def count_drift(
    state: State,
    as_of: date,
    live: Live,
    environ: Mapping[str, str],
    standings: Mapping[str, Standing],
    notes: list[str],
) -> dict[str, int]:
    # Only the passwords desired on the routers read; one that does not decrypt leaves
    # only its router's drift uncounted (with a note naming the customer).
    passwords, failures = decrypt_desired(state, standings, list(live), environ)
    notes.extend(f"drift not counted: {name}: {problem}" for name, problem in failures.items())
    live = {
        name: RouterError(name, failures[name]) if name in failures else outcome
        for name, outcome in live.items()
    }
    plan = make_plan(state, as_of, standings, live, passwords=passwords)
    return drifted_entries(plan)


def drifted_entries(plan: Plan) -> dict[str, int]:
    """Per reachable router: how many profiles and secrets differ from the desired state
    (would be created, changed, enabled, disabled or deleted). A session disconnect
    belongs to its secret, so an account counts once however many changes it needs."""
    counts = {}
    for router in plan.routers:
        if router.status == "error":
            continue
        entries = {
            ("profile" if change.kind == "profile" else "secret", change.name)
            for change in router.applicable
        }
        counts[router.router] = len(entries)
    return counts
