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

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.forking import Helper
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
    cut = len(ids) * 9 // 20 if meanwhile is not None else len(ids) // 2
    mine, theirs = ids[:cut], ids[cut:]
    small = len(ids) < max(min_customers, 2)
    helper = None if small else Helper.start(lambda: _rows(state, as_of, theirs))
    if helper is None:  # (no second CPU, no fork, another thread running: forking.py)
        return standings(state, as_of)
    # `meanwhile` and the child's rows make tens of thousands of long-lived objects and
    # no cycles, as billing does (collector.py): no collection walks them meanwhile.
    with collector_paused():
        with helper:
            if meanwhile is not None:
                meanwhile()
            found = dict(standings(_only(state, mine), as_of))
            rows = helper.result(time.monotonic() + DEADLINE_S)
        sent = standingcache.decode_rows(rows, state, as_of) if rows is not None else None
        if sent is None or [one.customer for one in sent] != theirs:
            found.update(standings(_only(state, theirs), as_of))
        else:
            found.update((one.customer, one) for one in sent)
        freeze_if_large(len(state.customers) + len(state.ledger))
    return MappingProxyType(found)


def _rows(state: State, as_of: date, ids: list[str]) -> list[Any]:
    """The child's work: the standings of `ids`, as the standings cache's rows."""
    from isk_reconcile.billing import standingcache

    return standingcache.encode_rows(standings(_only(state, ids), as_of).values())


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
