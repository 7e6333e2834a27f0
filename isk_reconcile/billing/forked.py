"""Every customer's standing, computed by two processes at once (issue 12).

Billing 10,000 customers is about a second of pure Python, the largest part of a plan
whose standings are not cached yet (the first command after any change). Billing one
customer needs only that customer, their ledger entries, the profiles and the settings,
so the customers split cleanly: a forked child bills the second half of them while this
process bills the first, and sends back what each standing says in the standings cache's
rows (billing.standingcache: plain JSON through a pipe, checked like the cache file).
Invoices are not sent: a standing from the child makes its own when first looked at, as
a cached one does.

Nothing changes but the time. The split is skipped (one process bills everyone, as
`engine.standings` does) with fewer than MIN_CUSTOMERS customers, one CPU, no `fork`,
or other threads running (a fork copies only this thread; a lock another held would
never be released in the child). Anything that goes wrong on the child's side (it
fails, dies, sends what does not check out, or has not finished DEADLINE_S after this
process did) only means this process bills that half too.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.lazyledger import of_customers
from isk_reconcile.state.model import State

MIN_CUSTOMERS = 2000  # below this, a fork costs about what it saves
DEADLINE_S = 60.0  # for the child, after this process has billed its own half


def standings_in_two(
    state: State,
    as_of: date,
    *,
    meanwhile: Callable[[], object] | None = None,
    min_customers: int = MIN_CUSTOMERS,
) -> Mapping[str, Standing]:
    """`engine.standings(state, as_of)`: equal, in the same order. `meanwhile`: work the
    caller does next anyway (e.g. starting to read the routers, building every customer
    for a plan), done here right after the fork, while the child bills; the child then
    takes the larger share. Not called without a child: no thread may run at a fork."""
    from isk_reconcile.billing import standingcache  # (which imports this module)

    ids = sorted(state.customers)
    if len(ids) < max(min_customers, 2) or not _may_fork():
        return standings(state, as_of)
    cut = len(ids) * 9 // 20 if meanwhile is not None else len(ids) // 2
    mine, theirs = ids[:cut], ids[cut:]
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_end)
        _bill_and_send(state, as_of, theirs, write_end)
    os.close(write_end)
    # `meanwhile` and the child's rows make tens of thousands of long-lived objects and
    # no cycles, as billing does (collector.py): no collection walks them meanwhile.
    with collector_paused():
        try:
            if meanwhile is not None:
                meanwhile()
            found = dict(standings(_only(state, mine), as_of))
            rows = _receive(read_end, time.monotonic() + DEADLINE_S)
        finally:
            os.close(read_end)
            _reap(child)
        sent = standingcache.decode_rows(rows, state, as_of) if rows is not None else None
        if sent is None or [one.customer for one in sent] != theirs:
            found.update(standings(_only(state, theirs), as_of))
        else:
            found.update((one.customer, one) for one in sent)
        freeze_if_large(len(state.customers) + len(state.ledger))
    return MappingProxyType(found)


def _may_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return hasattr(os, "fork") and (cpus or 1) > 1 and threading.active_count() == 1


def _bill_and_send(state: State, as_of: date, ids: list[str], write_end: int) -> None:
    """The child: bill `ids`, write their rows, and leave without running anything of
    the parent's (no atexit handlers, no buffered output flushed twice)."""
    from isk_reconcile.billing import standingcache

    code = 1
    try:
        rows = standingcache.encode_rows(standings(_only(state, ids), as_of).values())
        data = json.dumps(rows, separators=(",", ":")).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def _receive(read_end: int, deadline: float) -> Any:
    """What the child wrote, decoded; None when it did not finish in time or wrote what
    is not JSON."""
    parts: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_end], [], [], left)[0]:
            return None
        part = os.read(read_end, 1 << 20)
        if not part:
            break
        parts.append(part)
    try:
        return json.loads(b"".join(parts))
    except ValueError:
        return None


def _reap(child: int) -> None:
    """Wait for the child; stop it first if it is still billing (this process gave up
    on it, or is being interrupted)."""
    done, _ = os.waitpid(child, os.WNOHANG)
    if done == 0:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def _only(state: State, ids: list[str]) -> State:
    """`state` with only the customers `ids` and their ledger entries (billing one needs
    no other customer): each process builds only its own customers' entries (a ledger
    from the state cache builds them when first looked at, a fifth of the billing)."""
    ledger = of_customers(state.ledger, frozenset(ids))
    return replace(state, customers=_Some(state.customers, ids), ledger=ledger)


class _Some(Mapping[str, Customer]):
    """Some customers of a mapping, built only when looked up (cachedcustomers)."""

    def __init__(self, every: Mapping[str, Customer], ids: list[str]) -> None:
        self._every, self._ids = every, ids
        self._known = frozenset(ids)

    def __getitem__(self, cid: str) -> Customer:
        if cid not in self._known:
            raise KeyError(cid)
        return self._every[cid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
