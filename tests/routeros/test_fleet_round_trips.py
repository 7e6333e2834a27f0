"""A plan across many routers: every router is read at the same time, in two round trips
each (the login, then one pipelined window of prints), counted at the simulated routers.

No timing: each simulator holds its print answers (`Faults.hold`) until every router has
asked for them, which only a fleet that reads all its routers at once ever reaches; a
fleet that read them one after another, or in waves smaller than the fleet, would leave
the gate closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.routeros.fleet import MAX_THREADS, PARALLEL_VARIABLE, parallel_routers
from isk_reconcile.sim import SimulatedRouter
from tests.helpers.isp import Fleet, converge, customer, plan, repo

ROUTERS = 60
PER_ROUTER = 3
GIVE_UP = 60.0  # seconds before the test fails (never reached unless the fleet serialises)


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + GIVE_UP
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def asked(sim: SimulatedRouter) -> bool:
    """Whether a print reached this router (its answer, and the rest of its window, are
    held while the gate is closed)."""
    return any(command.endswith("/print") for command in sim.counters)


@pytest.fixture
def many() -> Iterator[Fleet]:
    with ExitStack() as stack:
        fleet = Fleet(stack, tuple(f"r{number:02d}" for number in range(ROUTERS)))
        for settings in fleet.routers.values():
            settings["timeout"] = GIVE_UP  # the held routers wait for the last one
        yield fleet


def test_a_plan_reads_every_router_at_once_in_two_round_trips_each(
    tmp_path: Path, many: Fleet
) -> None:
    customers = {
        f"c{router:02d}{number}": customer(f"Customer {router} {number}", router=f"r{router:02d}")
        for router in range(ROUTERS)
        for number in range(PER_ROUTER)
    }
    state = repo(tmp_path, many, customers)
    assert converge(state, many).routers  # the routers hold what the repository wants
    gate = threading.Event()
    for sim in many.sims.values():
        sim.reset_counters()
        sim.faults.hold = gate
    made: list[Plan] = []
    planner = threading.Thread(target=lambda: made.append(plan(state, many)), daemon=True)
    planner.start()
    try:
        everyone_asked = eventually(lambda: all(asked(sim) for sim in many.sims.values()))
    finally:
        gate.set()
        planner.join(GIVE_UP)
    assert everyone_asked, "the routers were not read at the same time"
    (result,) = made
    assert [router.status for router in result.routers] == ["ok"] * ROUTERS
    assert not any(router.applicable for router in result.routers)
    # the login, then the prints of every menu in one window: per router, not per menu
    assert {name: sim.round_trips for name, sim in many.sims.items()} == {
        name: 2 for name in many.sims
    }
    assert all(sim.counters["/ppp/secret/print"] == 1 for sim in many.sims.values())


def test_the_cap_on_routers_at_once_comes_from_the_environment() -> None:
    assert parallel_routers({}) == MAX_THREADS >= 200  # a fleet of 200 in one wave
    assert parallel_routers({PARALLEL_VARIABLE: "16"}) == 16
    for wrong in ("0", "-3", "many", "1.5"):
        with pytest.raises(IskError, match=f"{PARALLEL_VARIABLE} must be a positive"):
            parallel_routers({PARALLEL_VARIABLE: wrong})
