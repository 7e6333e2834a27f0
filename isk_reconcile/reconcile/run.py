"""`run_plan`: the shell around the pure plan.

It reads the routers (one print per menu, routers concurrently), decrypts the passwords
they need once (reconcile.passwords) and makes the plan (reconcile.plan). Applying it is
reconcile.apply.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.collector import collector_paused
from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.passwords import desired_digests
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.reconcile.plan_types import Plan, RouterPlan
from isk_reconcile.routeros.fleet import Underway, read_all, select_routers
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.state.model import State
from isk_reconcile.state.policy import transport_problems


def router_names(state: State, routers: Sequence[str] | None) -> list[str]:
    """Router names to work on (all when none are named), in routers.yaml order."""
    return [router.name for router in select_routers(state, routers)]


def routers_to_read(
    state: State, routers: Sequence[str] | None, skipped: Mapping[str, str] | None = None
) -> list[str]:
    """The routers a plan of `routers` reads: all of them but the `skipped`."""
    return [name for name in router_names(state, routers) if name not in (skipped or {})]


# Digests, live items and changes are tens of thousands of long-lived objects and no
# cycles (collector.py): at 10,000 customers, collections walking them cost a tenth.
@collector_paused()
def run_plan(
    state: State,
    as_of: date,
    routers: Sequence[str] | None = None,
    adopt: bool = False,
    environ: Mapping[str, str] = os.environ,
    *,
    commit: str | None = None,
    on_read: Callable[[str, LiveState | RouterError], None] | None = None,
    skipped: Mapping[str, str] | None = None,
    wanted: Mapping[str, Standing] | None = None,
    reading: Underway[LiveState] | None = None,
) -> Plan:
    """Read the routers, decrypt the passwords they need once, make the plan (stamped with
    `commit`, the state repository's HEAD, which the caller reads from git). A router whose
    passwords do not decrypt is planned as an error that names the customer; the other
    routers are planned as usual. A router in `skipped` (name -> note) is never contacted:
    its entry is `skipped` with the note (`isk plan --base`, reconcile.trust). `wanted`:
    the standings on as_of, when the caller has them (else computed here). `reading`: the
    reads of `routers_to_read` started earlier (`start_reading`), while the caller billed;
    reads of other routers are not used (the routers are read again)."""
    skipped = skipped or {}
    names = router_names(state, routers)
    contacted = routers_to_read(state, routers, skipped)
    wanted = standings(state, as_of) if wanted is None else wanted
    # A plan only compares passwords: known ones are compared by digest, not decrypted.
    passwords, failures = desired_digests(state, wanted, contacted, environ)
    if reading is not None and reading.names == contacted:
        read = reading.outcomes(on_result=on_read)  # (a failed router's read is dropped)
    else:
        readable = [name for name in contacted if name not in failures]
        read = read_all(state, readable, environ, on_result=on_read)
    live: dict[str, LiveState | RouterError] = {
        name: RouterError(name, failures[name]) if name in failures else read[name]
        for name in contacted
    }
    plan = make_plan(state, as_of, wanted, live, adopt=adopt, passwords=passwords)
    made = {router.router: router for router in plan.routers}
    ordered = tuple(
        made[name] if name in made else RouterPlan(name, "skipped", notes=(skipped[name],))
        for name in names
    )
    warnings = tuple(
        f"{name}: {problem}"
        for name in contacted
        for problem in transport_problems(state.routers[name])
    )
    return replace(plan, commit=commit, routers=ordered, warnings=warnings)
