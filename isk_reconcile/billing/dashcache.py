"""The dashboard cache: the billing figures of `isk status`, `isk export` and `isk report`
for exactly the files they were computed from (issue 12).

The dashboard's billing figures (`report.billing_dashboard`: per router and in total,
per month, every customer's row, who owes, every receivable) are a pure function of the
State, the day and the routers shown. Computing them makes every invoice of every
customer (180,000 at 10,000 customers): about 2 s, where reading the cache is about
0.1 s and needs no State at all. The cache is keyed like the standings cache
(standingcache.py) by

- the validated-state cache's fingerprint of every file under state/ and payments/
  (one changed byte anywhere is a miss),
- the as-of day, the routers shown (all, or those of `--router`) and the expiring
  horizon,
- the code: every module of isk_reconcile.billing and isk_reconcile.state, and the
  state cache's format (pydantic and PyYAML versions).

What comes from the routers, git or this run (router info, drift, sessions, the commit,
notes) is never cached: `report.with_live` adds it to what the cache gives. Nor are the
lists of every invoice and ledger entry (`Dashboard.invoices`, `.payments`): on a hit
they are made from the State when first looked at, exactly as a computed dashboard makes
them (only the workbook does).

Like the other caches it is plain JSON beside the parse cache, outside the work tree
(statecache's location rules), written atomically and best effort. Every value is
checked on load (its type, the allowed words, the dashboard's months and buckets);
anything that does not check out is a miss and the figures are computed again, never an
error. The text it holds (names, phones, reasons) came from the repository and is as
untrusted as the repository itself: it reaches the same renderers, which escape it.
Only the latest dashboard is kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from isk_reconcile.billing import report, standingcache
from isk_reconcile.billing.engine import Access, Standing
from isk_reconcile.billing.report_types import (
    AGING_LABELS,
    CATEGORIES,
    EXPIRING_DAYS,
    Bucket,
    CustomerRow,
    Dashboard,
    Figures,
    MonthFigures,
    OverdueRow,
    Pairs,
    ReceivableRow,
    RouterStatus,
    last_months,
    month_key,
)
from isk_reconcile.state import statecache
from isk_reconcile.state.model import State

# standingcache.FORMAT covers the code of every billing module (this one included) and of
# the state package.
FORMAT = "isk-dashboard/1:" + standingcache.FORMAT
NAME = "dashboard-cache.json"

# Where the State and its standings come from when a cached dashboard's lists of every
# invoice and entry are first looked at.
Source = Callable[[], tuple[State, Mapping[str, Standing]]]


def cache_file(repo: Path) -> Path:
    return statecache.state_cache_file(repo).with_name(NAME)


def key(
    files: Mapping[str, str],
    as_of: date,
    only: Iterable[str] | None = None,
    expiring_days: int = EXPIRING_DAYS,
) -> str:
    """What the dashboard's billing figures depend on, as one digest."""
    shown = None if only is None else sorted(set(only))
    text = json.dumps(
        [FORMAT, as_of.isoformat(), shown, expiring_days, sorted(files.items())],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def load(repo: Path, wanted: str, as_of: date, source: Source) -> Dashboard | None:
    """The billing dashboard cached under the key `wanted` (see `key`), or None. Its
    invoices and payments are made from `source()` when first looked at."""
    document = statecache.read_keyed(cache_file(repo), repo, wanted)
    if document is None:
        return None
    try:
        return _decode(document["dashboard"], as_of, source)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def save(repo: Path, wanted: str, board: Dashboard) -> None:
    """Remember the billing figures of `board` under the key `wanted` (best effort)."""
    statecache.write_json(
        cache_file(repo), repo, lambda: {"key": wanted, "dashboard": _encode(board)}
    )


# --- values as JSON -------------------------------------------------------------------------
# Each dataclass is a list of its fields in order, a date its ISO text; decoding checks
# every value's type (bool is not int) and the allowed words of `_WORDS`.

_ACCESS = frozenset(typing.get_args(Access))
_WORDS: dict[tuple[type, str], frozenset[str]] = {
    (CustomerRow, "category"): frozenset(CATEGORIES),
    (CustomerRow, "access"): _ACCESS,
    (OverdueRow, "category"): frozenset((*CATEGORIES, "")),
    (ReceivableRow, "bucket"): frozenset(AGING_LABELS),
    (Bucket, "label"): frozenset(AGING_LABELS),
}


class _Codec(typing.NamedTuple):
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _exact(kind: type) -> _Codec:
    def decode(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(kind.__name__)
        return value

    return _Codec(lambda value: value, decode)


def _day(value: Any) -> date:
    if type(value) is not str:
        raise TypeError("date")
    return date.fromisoformat(value)


def _optional(inner: _Codec) -> _Codec:
    return _Codec(
        lambda value: None if value is None else inner.encode(value),
        lambda value: None if value is None else inner.decode(value),
    )


def _sequence(inner: _Codec) -> _Codec:
    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise TypeError("list")
        return tuple(map(inner.decode, value))

    return _Codec(lambda value: [inner.encode(item) for item in value], decode)


def _unsupported(value: Any) -> Any:
    raise TypeError("not cached")  # a field this module cannot store: never cached


def _record(cls: type) -> _Codec:
    """A dataclass as the list of its fields."""
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]
    codecs = [_codec(hints[name]) for name in names]
    checks = [_WORDS.get((cls, name)) for name in names]

    pairs = list(zip(names, codecs, strict=True))

    def encode(value: Any) -> list[Any]:
        return [codec.encode(getattr(value, name)) for name, codec in pairs]

    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise TypeError(cls.__name__)
        decoded = [codec.decode(item) for codec, item in zip(codecs, value, strict=True)]
        for check, item in zip(checks, decoded, strict=True):
            if check is not None and item not in check:
                raise ValueError(cls.__name__)
        return cls(*decoded)

    return _Codec(encode, decode)


def _codec(hint: Any) -> _Codec:
    if hint in (str, int, bool):
        return _exact(hint)
    if hint is date:
        return _Codec(date.isoformat, _day)
    if dataclasses.is_dataclass(hint):
        return _record(hint)  # type: ignore[arg-type]
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
        return _optional(_codec(next(arg for arg in args if arg is not type(None))))
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(_codec(args[0]))
    return _Codec(_unsupported, _unsupported)


_FIGURES = _record(Figures)
_MONTHS = _sequence(_record(MonthFigures))
_CUSTOMERS = _sequence(_record(CustomerRow))
_OVERDUE = _sequence(_record(OverdueRow))
_RECEIVABLES = _sequence(_record(ReceivableRow))


def _encode(board: Dashboard) -> dict[str, Any]:
    return {
        # A router's billing side only: what is read from it is never cached.
        "routers": [
            [status.name, status.description, _FIGURES.encode(status.figures)]
            for status in board.routers
        ],
        "total": _FIGURES.encode(board.total),
        "monthly": _MONTHS.encode(board.monthly),
        "customers": _CUSTOMERS.encode(board.customers),
        "overdue": _OVERDUE.encode(board.overdue),
        "receivables": _RECEIVABLES.encode(board.receivables),
    }


def _decode(document: dict[str, Any], as_of: date, source: Source) -> Dashboard:
    routers = tuple(_router(row) for row in document["routers"])
    total = _FIGURES.decode(document["total"])
    monthly = _MONTHS.decode(document["monthly"])
    if tuple(month.month for month in monthly) != last_months(as_of):
        raise ValueError("months")
    for figures in (total, *(status.figures for status in routers)):
        if tuple(bucket.label for bucket in figures.aging) != AGING_LABELS:
            raise ValueError("aging buckets")
    customers = _CUSTOMERS.decode(document["customers"])
    names = [status.name for status in routers]
    if not {row.router for row in customers} <= set(names):
        raise ValueError("a customer of a router not shown")
    invoices, payments = _lazy_pairs(source, as_of, names)
    return Dashboard(
        as_of=as_of,
        month=month_key(as_of),
        commit=None,
        routers=routers,
        total=total,
        monthly=monthly,
        customers=customers,
        overdue=_OVERDUE.decode(document["overdue"]),
        receivables=_RECEIVABLES.decode(document["receivables"]),
        invoices=invoices,
        payments=payments,
    )


def _router(row: Any) -> RouterStatus:
    name, description, figures = row
    if type(name) is not str or type(description) is not str:
        raise TypeError("router")
    return RouterStatus(name, description, _FIGURES.decode(figures))


def _lazy_pairs(source: Source, as_of: date, names: list[str]) -> tuple[Pairs[Any], Pairs[Any]]:
    """Dashboard.invoices and .payments of the customers of the routers `names`, from
    the State `source()` gives, made when first looked at (`report.pairs`)."""
    made: list[tuple[Pairs[Any], Pairs[Any]]] = []

    def both() -> tuple[Pairs[Any], Pairs[Any]]:
        if not made:
            state, standings = source()
            routers = report.router_of(state, names)
            made.append(report.pairs(state, as_of, standings, routers))
        return made[0]

    return Pairs(lambda: tuple(both()[0])), Pairs(lambda: tuple(both()[1]))
