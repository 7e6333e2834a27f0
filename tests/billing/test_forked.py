"""Standings billed by two processes (issue 12): the same standings as one process
bills, in the same order, whichever way the child's half comes back; a child that fails,
hangs or sends garbage only means the parent bills that half too."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.billing import forked
from isk_reconcile.billing.engine import standings
from isk_reconcile.forking import may_fork
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State
from tests.helpers.generated import generate_isp

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def isp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 customers on 2 routers, 8 months of ledger: every kind of customer the
    generator makes (paid up, late, suspended, free, terminated, paid ahead, on hold)."""
    return generate_isp(tmp_path_factory.mktemp("forked"), 400, 2, 8, AS_OF)


def fresh(isp: Path) -> State:
    return load_state(isp)  # from the state cache after the first: customers built lazily


def test_two_processes_bill_what_one_does(isp: Path) -> None:
    expected = standings(load_state(isp, cache=False), AS_OF)
    found = forked.standings_in_two(fresh(isp), AS_OF, min_customers=0)
    assert list(found) == list(expected)
    assert dict(found) == dict(expected)  # invoices too: the child's half makes its own
    assert {one.access for one in found.values()} >= {"enabled", "suspended", "absent"}


def test_another_day_gives_that_days_standings(isp: Path) -> None:
    later = date(2027, 2, 1)
    found = forked.standings_in_two(fresh(isp), later, min_customers=0)
    assert dict(found) == dict(standings(fresh(isp), later))


def test_with_another_thread_running_one_process_bills_everyone(isp: Path) -> None:
    """A fork copies only the calling thread; with another running, no fork (and the
    same standings)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not may_fork()
        found = forked.standings_in_two(fresh(isp), AS_OF, min_customers=0)
    finally:
        stop.set()
        other.join()
    assert dict(found) == dict(standings(fresh(isp), AS_OF))


@pytest.mark.parametrize("sent", [[[1]], [], {"rows": []}])
def test_what_the_child_sends_is_checked(isp: Path, sent: object) -> None:
    """JSON that is not standings is not taken (decode_rows refuses it); what is not
    JSON never reaches it (forking.Helper gives None)."""
    from isk_reconcile.billing import standingcache

    assert standingcache.decode_rows(sent, fresh(isp), AS_OF) in (None, [])


def test_a_child_given_up_on_leaves_its_half_to_the_parent(
    isp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forked, "DEADLINE_S", 0.0)  # never waited for
    found = forked.standings_in_two(fresh(isp), AS_OF, min_customers=0)
    assert list(found) == list(standings(fresh(isp), AS_OF))
    assert dict(found) == dict(standings(fresh(isp), AS_OF))


def test_the_callers_next_work_is_done_while_the_child_bills(isp: Path) -> None:
    """`meanwhile` runs once, in this process, after the fork and before its own share
    (the child takes the larger share then); without a child it is left to the caller."""
    done: list[int] = []
    child = may_fork()  # not on a machine with one CPU
    found = forked.standings_in_two(
        fresh(isp), AS_OF, meanwhile=lambda: done.append(os.getpid()), min_customers=0
    )
    assert done == ([os.getpid()] if child else [])
    assert dict(found) == dict(standings(fresh(isp), AS_OF))
    done.clear()
    forked.standings_in_two(fresh(isp), AS_OF, meanwhile=lambda: done.append(1))
    assert done == []  # 400 customers: below MIN_CUSTOMERS, billed here, no child
