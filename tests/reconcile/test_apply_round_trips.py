"""An apply of N changes costs a bounded number of round trips, counted at the simulated
router (a reply sent while no further command was pending): the login, the read before
writing (the stale-plan check), one per window of each ordered group of writes, and the
verification read. A client or an apply that stopped pipelining would pay one per write."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from isk_reconcile.reconcile.apply import run_apply
from tests.helpers.isp import SECRET, Fleet, converge, customer, names, plan, repo

CUSTOMERS = 300  # more than two windows
LOGIN_READ_AND_VERIFY = 3
WINDOW = 128  # commands in flight (docs/reconciler.md); not read from the code under test


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1",))


def windows(*groups: int) -> int:
    return sum(math.ceil(size / WINDOW) for size in groups)


def everyone(status: str = "free") -> dict[str, dict]:
    extra = {"suspend_reason": "moved house"} if status == "suspended" else {}
    return {
        f"c{number:03d}": customer(f"Customer {number}", status=status, **extra)
        for number in range(CUSTOMERS)
    }


def test_creating_n_customers_costs_one_round_trip_per_window(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    state = repo(tmp_path, fleet, everyone())
    the_plan = plan(state, fleet)
    sim.reset_counters()
    report = run_apply(the_plan, state, environ=fleet.environ)
    assert report.ok, report
    assert len(names(sim, SECRET)) == CUSTOMERS
    # profiles (3 packages), then the secrets: two ordered groups
    bound = LOGIN_READ_AND_VERIFY + windows(3, CUSTOMERS)
    assert sim.round_trips <= bound, sim.round_trips
    assert sim.counters["/ppp/secret/add"] == CUSTOMERS


def test_suspending_n_online_customers_keeps_the_groups_and_their_windows(
    tmp_path: Path, fleet: Fleet
) -> None:
    """Each secret is disabled with its pending mark, the sessions are cut, the marks are
    cleared: three ordered groups of N writes, each pipelined."""
    sim = fleet["r1"]
    state = repo(tmp_path, fleet, everyone())
    converge(state, fleet)
    for number in range(CUSTOMERS):
        sim.add_session(f"c{number:03d}")
    state = repo(tmp_path, fleet, everyone("suspended"))
    the_plan = plan(state, fleet)
    sim.reset_counters()
    report = run_apply(the_plan, state, environ=fleet.environ, force=True)  # all: unsafe
    assert report.ok, report
    assert sim.items("/ppp/active") == []
    assert all(item["disabled"] == "true" for item in sim.items(SECRET))
    assert not any("pending" in item.get("comment", "") for item in sim.items(SECRET))
    assert sim.counters["/ppp/active/remove"] == CUSTOMERS
    bound = LOGIN_READ_AND_VERIFY + windows(CUSTOMERS, CUSTOMERS, CUSTOMERS)
    assert sim.round_trips <= bound, sim.round_trips
