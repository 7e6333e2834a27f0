"""forking.Helper: a value computed by a forked child, or None whenever the child is of
no use (fails, dies, sends what is not JSON, misses its deadline); never a hang and
never a child left behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from isk_reconcile import forking

pytestmark = pytest.mark.skipif(not forking.may_fork(), reason="one CPU or no fork here")


def _exited_child() -> int:
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os._exit(0)
    return child


def _helper_sending(sent: bytes) -> forking.Helper:
    """A helper whose child has sent exactly `sent` and exited."""
    read_end, write_end = os.pipe()
    os.write(write_end, sent)
    os.close(write_end)
    return forking.Helper(_exited_child(), read_end)


def _no_zombie(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)


def test_the_childs_value_comes_back() -> None:
    value = {"files": {f"state/customers/c{n}.yaml": "a" * 64 for n in range(20_000)}}
    with forking.Helper.start(lambda: value) as helper:  # type: ignore[union-attr]
        assert helper.result(time.monotonic() + 60) == value  # larger than a pipe holds
        pid = helper._child
    _no_zombie(pid)


def test_the_child_runs_in_another_process() -> None:
    with forking.Helper.start(os.getpid) as helper:  # type: ignore[union-attr]
        assert helper.result() not in (None, os.getpid())


@pytest.mark.parametrize("work", [lambda: 1 / 0, lambda: {1, 2}, lambda: os._exit(3)])
def test_a_child_that_fails_gives_none(work: object) -> None:
    with forking.Helper.start(work) as helper:  # type: ignore[arg-type, union-attr]
        assert helper.result(time.monotonic() + 60) is None


@pytest.mark.parametrize("sent", [b"", b"[1, 2", b"\xff\xfe"])
def test_what_is_not_json_gives_none(sent: bytes) -> None:
    with _helper_sending(sent) as helper:
        assert helper.result(time.monotonic() + 5) is None


def test_a_child_past_its_deadline_is_given_up_stopped_and_reaped() -> None:
    helper = forking.Helper.start(lambda: time.sleep(30))
    assert helper is not None
    started = time.monotonic()
    assert helper.result(time.monotonic() + 0.2) is None
    helper.close()
    helper.close()  # twice is fine
    assert time.monotonic() - started < 10
    _no_zombie(helper._child)


@pytest.fixture
def another_thread() -> Iterator[None]:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        yield
    finally:
        stop.set()
        other.join()


@pytest.mark.usefixtures("another_thread")
def test_no_child_while_another_thread_runs() -> None:
    """A fork copies only the calling thread: a lock the other one holds would never be
    released in the child."""
    assert not forking.may_fork()
    assert forking.Helper.start(lambda: 1) is None
