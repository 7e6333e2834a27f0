"""run_plan given reads started earlier (`start_reading`, as `isk plan` starts them while a
forked child bills): the same plan as reading the routers itself, against simulated
routers over TCP. A router whose passwords do not decrypt is still planned as an error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.reconcile.run import routers_to_read, run_plan
from isk_reconcile.routeros.fleet import start_reading
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state import encryption
from tests.helpers.isp import AS_OF, SECRET, Fleet, converge, customer, repo


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1", "r2"))


def asked(sim: SimulatedRouter) -> bool:
    """A print reached the router (its answer may still be held)."""
    return any(command.endswith("/print") for command in sim.counters)


def shape(plan: Plan) -> list[tuple]:
    return [
        (router.router, router.status, router.error, router.fingerprint, router.changes)
        for router in plan.routers
    ]


def test_reads_started_earlier_make_the_same_plan(tmp_path: Path, fleet: Fleet) -> None:
    customers = {
        "a": customer("A", router="r1", status="active"),
        "b": customer("B", router="r2"),
        "c": customer("C", router="r2"),
    }
    state = repo(tmp_path, fleet, {k: v for k, v in customers.items() if k != "c"})
    converge(state, fleet)
    state = repo(tmp_path, fleet, customers)  # c is new: the plan has a change to make
    reading = start_reading(state, routers_to_read(state, None), fleet.environ)
    early = run_plan(state, AS_OF, environ=fleet.environ, reading=reading)
    itself = run_plan(state, AS_OF, environ=fleet.environ)
    assert shape(early) == shape(itself)
    assert [(change.action, change.name) for change in early.routers[1].applicable] == [
        ("create", "c")
    ]
    assert not early.routers[0].applicable


def test_a_router_read_early_whose_passwords_do_not_decrypt_is_an_error(
    tmp_path: Path, fleet: Fleet
) -> None:
    _, someone_else = encryption.generate_identity()
    ours, _ = encryption.generate_identity()
    customers = {
        "a": customer("A", router="r1"),
        "b": customer("B", router="r2", password=encryption.encrypt("pw", [someone_else])),
    }
    state = repo(tmp_path, fleet, customers)
    environ = {**fleet.environ, "ISK_AGE_IDENTITY": ours}
    reading = start_reading(state, routers_to_read(state, None), environ)
    planned = run_plan(state, AS_OF, environ=environ, reading=reading)
    assert [(router.router, router.status) for router in planned.routers] == [
        ("r1", "ok"),
        ("r2", "error"),
    ]
    assert planned.routers[1].error.startswith("r2: customer b")
    assert "cannot decrypt password" in planned.routers[1].error
    assert planned.routers[1].changes == ()  # nothing written to it


def test_reads_of_other_routers_are_not_taken_for_the_plans(tmp_path: Path, fleet: Fleet) -> None:
    customers = {"a": customer("A", router="r1"), "b": customer("B", router="r2")}
    state = repo(tmp_path, fleet, customers)
    reading = start_reading(state, ["r1"], fleet.environ)  # not what a plan of both reads
    planned = run_plan(state, AS_OF, environ=fleet.environ, reading=reading)
    assert [(router.router, router.status) for router in planned.routers] == [
        ("r1", "ok"),
        ("r2", "ok"),
    ]
    assert [change.name for change in planned.routers[1].applicable if change.kind == "secret"] == [
        "b"
    ]
    assert fleet["r2"].counters[f"{SECRET}/print"] == 1  # read by the plan itself


def test_reading_runs_in_the_background_until_its_outcomes_are_asked(
    tmp_path: Path, fleet: Fleet
) -> None:
    state = repo(tmp_path, fleet, {"a": customer("A", router="r1")})
    gate = threading.Event()
    fleet["r1"].faults.hold = gate  # r1 answers no print until the gate opens
    reading = start_reading(state, ["r2", "r1"], fleet.environ)  # returns at once
    assert reading.names == ["r2", "r1"]
    deadline = time.monotonic() + 30
    while not asked(fleet["r1"]) and time.monotonic() < deadline:
        time.sleep(0.02)  # r1 is asked while this thread does something else
    assert asked(fleet["r1"])
    seen: list[str] = []
    gate.set()
    outcomes = reading.outcomes(on_result=lambda name, _: seen.append(name))
    assert list(outcomes) == ["r2", "r1"]  # in the order asked, whichever ended first
    assert sorted(seen) == ["r1", "r2"]
    assert all(isinstance(one, LiveState) for one in outcomes.values())


def test_an_unreachable_router_read_early_is_an_error_value(tmp_path: Path, fleet: Fleet) -> None:
    routers = {**fleet.routers, "r2": {**fleet.routers["r2"], "port": 9, "timeout": 2}}
    state = repo(tmp_path, fleet, {"a": customer("A", router="r1")}, routers=routers)
    outcomes = start_reading(state, ["r1", "r2"], fleet.environ).outcomes()
    assert isinstance(outcomes["r1"], LiveState)
    assert isinstance(outcomes["r2"], RouterError)
