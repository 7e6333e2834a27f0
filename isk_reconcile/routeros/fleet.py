"""Doing the same thing on several routers at once, each failure isolated.

One thread per router (the work is waiting on sockets); a router that is unreachable
or fails yields its `RouterError` as a value and never blocks or aborts the others.
Each router's own `timeout` from routers.yaml bounds how long it can take to fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Generic, TypeVar

from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.routeros.client import RouterClient
from isk_reconcile.routeros.connection import connect
from isk_reconcile.routeros.types import LiveState, SystemInfo
from isk_reconcile.state.model import State
from isk_reconcile.state.routers import Router

T = TypeVar("T")
# Routers worked on at once (plan reads, apply, checks). The threads only wait on sockets,
# so a fleet of a few hundred routers is read in one wave: with 32, 200 routers took 7
# waves, about 20 round-trip times at 50 ms instead of 3 (bench/run.py, `fleet`).
MAX_THREADS = 256
PARALLEL_VARIABLE = "ISK_PARALLEL_ROUTERS"  # overrides MAX_THREADS (a positive integer)


def parallel_routers(environ: Mapping[str, str] = os.environ) -> int:
    """Routers worked on at once: ISK_PARALLEL_ROUTERS, else MAX_THREADS."""
    text = environ.get(PARALLEL_VARIABLE, "").strip()
    if not text:
        return MAX_THREADS
    if not text.isdigit() or int(text) < 1:
        raise IskError(f"{PARALLEL_VARIABLE} must be a positive whole number, not {text!r}")
    return int(text)


def select_routers(state: State, names: Iterable[str] | None) -> list[Router]:
    """The named routers (all when `names` is None or empty), in routers.yaml order
    (whatever order they were named in). An unknown name is the user's mistake: IskError
    listing the known ones."""
    wanted = set(names or ())
    if not wanted:
        return list(state.routers.values())
    unknown = sorted(name for name in wanted if name not in state.routers)
    if unknown:
        known = ", ".join(state.routers) or "none"
        raise IskError(f"unknown router {', '.join(unknown)} (routers: {known})")
    return [router for name, router in state.routers.items() if name in wanted]


class Underway(Generic[T]):
    """`action` running on routers in the background from the moment this is made, one
    thread each; `outcomes` waits for them and collects them. Each router's own timeout
    bounds its thread, as for `on_routers`; threads never collected end on their own."""

    def __init__(
        self, routers: Sequence[Router], action: Callable[[RouterClient], T],
        environ: Mapping[str, str],
    ) -> None:  # fmt: skip
        self._names = [router.name for router in routers]
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(parallel_routers(environ), len(routers)))
        )
        self._futures = {
            self._pool.submit(_run, router, action, environ): router.name for router in routers
        }

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def outcomes(
        self, on_result: Callable[[str, T | RouterError], None] | None = None
    ) -> dict[str, T | RouterError]:
        """Every router's outcome, keyed in the order started; `on_result` is called as
        each router finishes (from the calling thread), for progress output."""
        found: dict[str, T | RouterError] = {}
        try:
            for future in as_completed(self._futures):
                name = self._futures[future]
                found[name] = future.result()
                if on_result is not None:
                    on_result(name, found[name])
        finally:
            self._pool.shutdown(wait=True)
        return {name: found[name] for name in self._names}


def _run(
    router: Router, action: Callable[[RouterClient], T], environ: Mapping[str, str]
) -> T | RouterError:
    try:
        with connect(router, environ) as client:
            return action(client)
    except RouterError as problem:
        return problem
    except IskError as problem:
        return RouterError(router.name, str(problem))


def on_routers(
    routers: Sequence[Router],
    action: Callable[[RouterClient], T],
    environ: Mapping[str, str] = os.environ,
    *,
    on_result: Callable[[str, T | RouterError], None] | None = None,
) -> dict[str, T | RouterError]:
    """Connect to every router concurrently and run `action` on each session.

    Results are keyed by router name in the order given; `on_result` is called as each
    router finishes (from the calling thread), for progress output."""
    if not routers:
        return {}
    return Underway(routers, action, environ).outcomes(on_result)


def start_reading(
    state: State, routers: Iterable[str], environ: Mapping[str, str] = os.environ
) -> Underway[LiveState]:
    """Start reading the named routers (known to routers.yaml) in the background, for a
    caller with other work to do meanwhile (a plan bills while its routers are read)."""
    names = list(dict.fromkeys(routers))
    return Underway([state.routers[name] for name in names], RouterClient.read, environ)


def read_all(
    state: State,
    routers: Iterable[str] | None = None,
    environ: Mapping[str, str] = os.environ,
    *,
    on_result: Callable[[str, LiveState | RouterError], None] | None = None,
) -> dict[str, LiveState | RouterError]:
    """Live state of the named routers (all when None), read concurrently, in the order
    named; `on_result` is called as each router finishes (progress output).
    A router name not in routers.yaml yields a RouterError value like an unreachable one."""
    names = list(dict.fromkeys(routers)) if routers is not None else list(state.routers)
    known = [state.routers[name] for name in names if name in state.routers]
    results: dict[str, LiveState | RouterError] = dict(
        on_routers(known, RouterClient.read, environ, on_result=on_result)
    )
    return {
        name: results.get(name) or RouterError(name, "unknown router (not in state/routers.yaml)")
        for name in names
    }


def check_all(
    routers: Sequence[Router],
    environ: Mapping[str, str] = os.environ,
    on_result: Callable[[str, SystemInfo | RouterError], None] | None = None,
) -> dict[str, SystemInfo | RouterError]:
    """Connect, log in and read identity/version/uptime on every router."""
    return on_routers(routers, RouterClient.system, environ, on_result=on_result)
