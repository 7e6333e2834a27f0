"""The standings cache: every customer's standing on one day, for exactly the files they
were computed from (issue 12).

Billing 10,000 customers costs more than loading them; a cashier's second command of the
day, `isk customers`, `isk plan` and the notification planner all ask for the same
standings of the same files on the same day. The cache is keyed by

- the validated-state cache's fingerprint of every file under state/ and payments/
  (statecache.fingerprint: one changed byte anywhere is a miss),
- the as-of day (a new day bills again),
- the code: every module of isk_reconcile.billing and isk_reconcile.state, and the
  state cache's format (pydantic and PyYAML versions).

It holds what a standing says (access, cause, reason, profile, paid-through, credit,
balance), never invoices: a cached standing makes its invoices from the State when they
are first looked at, exactly as a computed one does. Like the other caches it is plain
JSON beside the parse cache, outside the work tree (statecache's location rules), checked
on load (types and allowed words); anything that does not check out is a miss and the
standings are computed again. Only the latest day is kept.

The billing engine stays pure: this module is the only billing code that reads or writes
a file, and only the command line calls it.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from isk_reconcile.billing.engine import Access, Cause, Standing, standing
from isk_reconcile.billing.forked import standings_in_two
from isk_reconcile.billing.invoices import Invoice, Invoices
from isk_reconcile.state import statecache
from isk_reconcile.state.model import State

_BILLING = Path(__file__).resolve().parent
_CODE = hashlib.sha256(statecache.FORMAT.encode())
for _module in sorted(_BILLING.glob("*.py")):
    _CODE.update(_module.read_bytes())
FORMAT = f"isk-standings/1:{_CODE.hexdigest()[:16]}"
NAME = "standings-cache.json"

_ACCESS = frozenset(typing.get_args(Access))
_CAUSES = frozenset(typing.get_args(Cause))


def cache_file(repo: Path) -> Path:
    return statecache.state_cache_file(repo).with_name(NAME)


def key(files: Mapping[str, str], as_of: date) -> str:
    """What the standings depend on, as one digest."""
    text = json.dumps([FORMAT, as_of.isoformat(), sorted(files.items())], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_standings(
    repo: Path,
    state: State,
    as_of: date,
    files: Mapping[str, str] | None,
    meanwhile: typing.Callable[[], object] | None = None,
) -> Mapping[str, Standing]:
    """`billing.engine.standings(state, as_of)`, from the cache when `files` (the
    fingerprint `state` was loaded from; None: unknown) and the day match, else computed
    (billing.forked, doing `meanwhile` while its child bills) and remembered."""
    if files is None:
        return standings_in_two(state, as_of, meanwhile=meanwhile)
    wanted = key(files, as_of)
    found = _load(repo, state, as_of, wanted)
    if found is not None:
        return found
    computed = standings_in_two(state, as_of, meanwhile=meanwhile)
    _save(repo, wanted, computed)
    return computed


def _load(repo: Path, state: State, as_of: date, wanted: str) -> Mapping[str, Standing] | None:
    document = statecache.read_keyed(cache_file(repo), repo, wanted)
    if document is None:
        return None
    found = decode_rows(document.get("standings"), state, as_of)
    if found is None or [one.customer for one in found] != sorted(state.customers):
        return None  # every customer, once, in the engine's order
    return MappingProxyType({one.customer: one for one in found})


def _save(repo: Path, wanted: str, found: Mapping[str, Standing]) -> None:
    rows = encode_rows(found.values())
    statecache.write_json(cache_file(repo), repo, {"key": wanted, "standings": rows})


def encode_rows(found: Iterable[Standing]) -> list[list[Any]]:
    """What each standing says, as plain JSON rows (no invoices)."""
    return [
        [
            one.customer,
            one.access,
            one.cause,
            one.reason,
            one.profile,
            one.paid_through.isoformat() if one.paid_through else None,
            one.credit,
            one.balance,
        ]
        for one in found
    ]


def decode_rows(rows: Any, state: State, as_of: date) -> list[Standing] | None:
    """The standings of `encode_rows`' rows, for customers of `state`; None when anything
    in them does not check out."""
    if not isinstance(rows, list):
        return None
    try:
        return [_decode(row, state, as_of) for row in rows]
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def _decode(row: Any, state: State, as_of: date) -> Standing:
    cid, access, cause, reason, profile, paid_through, credit, balance = row
    if cid not in state.customers:  # (not looked up: cached customers validate on lookup)
        raise KeyError(cid)
    if access not in _ACCESS or cause not in _CAUSES or type(reason) is not str:
        raise ValueError("standing words")
    if profile is not None and profile not in state.profiles:
        raise ValueError("profile")
    if type(credit) is not int or type(balance) is not int:
        raise TypeError("money is whole rupiah")
    return Standing(
        customer=cid,
        as_of=as_of,
        access=access,
        cause=cause,
        reason=reason,
        profile=profile,
        invoices=Invoices(_invoices_of(state, cid, as_of)),
        paid_through=date.fromisoformat(paid_through) if paid_through is not None else None,
        credit=credit,
        balance=balance,
    )


def _invoices_of(state: State, cid: str, as_of: date) -> typing.Callable[[], tuple[Invoice, ...]]:
    def make() -> tuple[Invoice, ...]:
        return tuple(standing(state, cid, as_of).invoices)

    return make
