"""The ledger as columns, checked over the columns instead of entry by entry (issue 12).

A reference ledger holds 123,000 entries; validating each through LedgerEntry's pydantic
model costs more than reading the files, and building the entries costs about as much
again, while a cold `isk validate` never looks at one. So both the loader (a payments
file's parsed entries) and the validated-state cache (its stored columns) check the
values one column at a time, over the distinct values where they repeat, exactly as
LedgerEntry's fields and validators would:

- `from_parsed`: the columns of a payments file's parsed entries when every entry is one
  LedgerEntry accepts, else None: the loader then validates entry by entry and words the
  errors (so an error is always pydantic's, found the usual way);
- `from_stored`: the same checks over columns read from the state cache (dates as text);
- `entry_builder`: a LedgerEntry from checked values without pydantic's per-call cost,
  used when an entry is first looked at (lazyledger);
- `LedgerPart`: one payments file's valid entries as columns, with where each stands
  (the rules across files need that only for an entry that breaks one).

tests/state/test_ledgercolumns.py holds the checks to pydantic's verdicts and values.
"""

from __future__ import annotations

import operator
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from isk_reconcile.state import addresses
from isk_reconcile.state.base import EARLIEST_DATE, LATEST_DATE
from isk_reconcile.state.lazyledger import FIELDS, Row
from isk_reconcile.state.ledger import NON_CASH, LedgerEntry
from isk_reconcile.state.messages import Placed
from isk_reconcile.state.yamlsource import SourceFile
from isk_reconcile.untrusted import nfkc

Columns = list[list[Any]]  # one list per field, in FIELDS order

_KINDS = frozenset(typing.get_args(LedgerEntry.model_fields["kind"].annotation))
_METHODS = frozenset(
    arg
    for option in typing.get_args(LedgerEntry.model_fields["method"].annotation)
    for arg in (typing.get_args(option) or (option,))
)
# The fields an entry must have, and the default of each other one (LedgerEntry's).
_REQUIRED = tuple(name for name in FIELDS if LedgerEntry.model_fields[name].is_required())
_DEFAULTS = {
    name: LedgerEntry.model_fields[name].default for name in FIELDS if name not in _REQUIRED
}
_ALL = frozenset(FIELDS)
# addresses.LEDGER_ID for every line of the joined ids, and a tool id's number at most
# MAX_ID_NUMBER_DIGITS long (both checked by LedgerEntry's id validator).
_IDS = re.compile(r"(?:" + addresses.LEDGER_ID.pattern.strip("^$") + r"\n)*")
_LONGEST_TOOL_ID = len("P-YYYY-MM-") + addresses.MAX_ID_NUMBER_DIGITS


def from_parsed(items: list[Any]) -> Columns | None:
    """The columns of a payments file's parsed entries (plain data, as parse_yaml gives
    it) when LedgerEntry would accept every one of them as it is, with the values it would
    hold; None for anything else (then validate them one by one)."""
    if not items:
        return [[] for _ in FIELDS]
    try:
        if set(map(type, items)) != {dict}:
            return None
        shapes = set(map(frozenset, items))  # the distinct sets of keys (a few)
        if not all(shape <= _ALL and shape.issuperset(_REQUIRED) for shape in shapes):
            return None
        columns = [
            list(map(operator.itemgetter(name), items))
            if name in _REQUIRED
            else list(map(operator.methodcaller("get", name, _DEFAULTS[name]), items))
            for name in FIELDS
        ]
        days = columns[3]
        if set(map(type, days)) != {date} or min(days) < EARLIEST_DATE or max(days) > LATEST_DATE:
            return None
        _check(columns)
    except (TypeError, ValueError):  # an unhashable value (a list), or a check that failed
        return None
    return columns


def from_stored(columns: Any) -> Columns:
    """Columns as the state cache stores them (dates as YYYY-MM-DD), checked as
    `from_parsed` checks parsed entries; ValueError or TypeError when they do not pass."""
    if not (isinstance(columns, list) and len(columns) == len(FIELDS)):
        raise ValueError("ledger columns")
    if not all(isinstance(column, list) for column in columns):
        raise TypeError("ledger columns")
    parsed: dict[str, date] = {}
    for text in set(columns[3]):
        if type(text) is not str or len(text) != 10:
            raise ValueError("a date is YYYY-MM-DD")
        day = parsed[text] = date.fromisoformat(text)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError("a date out of range")
    checked = list(columns)
    checked[3] = list(map(parsed.__getitem__, columns[3]))
    _check(checked)
    return checked


def stored(columns: Sequence[Sequence[Any]]) -> Columns:
    """`columns` as the state cache stores them (`from_stored` reads them back)."""
    written = [list(column) for column in columns]
    iso = {day: day.isoformat() for day in set(written[3])}
    written[3] = list(map(iso.__getitem__, written[3]))
    return written


def _check(columns: Columns) -> None:
    """ValueError or TypeError unless every row holds values LedgerEntry accepts as they
    are (the notes and reasons NFKC-normalised in place, as LedgerEntry does)."""
    count = len(columns[0])
    if any(len(column) != count for column in columns):
        raise ValueError("ledger columns differ in length")
    ids, _, amounts, _, kinds, methods, _, notes, reasons = columns
    # set(map(type, ...)) runs in C: 615,000 values checked in a few milliseconds.
    for index in (0, 1, 6, 7, 8):  # id, customer, reference, note, reason: strict text
        if not set(map(type, columns[index])) <= {str}:
            raise TypeError("text expected")
    if not set(map(type, amounts)) <= {int} or (amounts and min(amounts) <= 0):
        raise ValueError("amounts are positive whole numbers")  # (a bool's type is bool)
    if not set(kinds) <= _KINDS or not set(methods) <= _METHODS | {None}:
        raise ValueError("unknown kind or method")
    for text_column in (notes, reasons):  # free text is held NFKC-normalised
        if not all(map(str.isascii, text_column)):
            text_column[:] = map(nfkc, text_column)
    _check_entry_rules(ids, kinds, methods, reasons)


def _check_entry_rules(
    ids: list[str], kinds: list[str], methods: list[Any], reasons: list[str]
) -> None:
    """What LedgerEntry's own validators refuse: ids in the canonical form, a method
    exactly for the kinds that move cash, a reason exactly for a writeoff. Over the
    distinct values (a few dozen), not the 120,000 entries one by one."""
    if not ids:
        return
    joined = "\n".join(ids)
    if joined.count("\n") != len(ids) - 1 or not _IDS.fullmatch(joined + "\n"):
        raise ValueError("ledger id")  # the first test: no id hides a line break
    # a tool id "P-YYYY-MM-N" is at most 10 + MAX_ID_NUMBER_DIGITS long: only longer ones
    longer = (value for value in ids if len(value) > _LONGEST_TOOL_ID)
    if any(addresses.TOOL_ID.match(value) for value in longer):
        raise ValueError("ledger id number too long")
    for kind, method in set(zip(kinds, methods, strict=True)):
        if (method is None) != (kind in NON_CASH):
            raise ValueError("ledger entry method")
    for kind, reason in set(zip(kinds, reasons, strict=True)):
        if bool(reason.strip()) != (kind == "writeoff") or (reason and kind != "writeoff"):
            raise ValueError("ledger entry reason")


def columns_of(entries: Sequence[LedgerEntry]) -> Columns:
    """The columns of entries already built."""
    rows = map(operator.attrgetter(*FIELDS), entries)
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in FIELDS]


_BUILDER: list[Callable[[Row], LedgerEntry]] = []  # made once, on first use


def entry_builder() -> Callable[[Row], LedgerEntry]:
    """LedgerEntry from checked field values (a Row), as LedgerEntry.model_construct makes
    it but without its per-call overhead (123,000 entries). Checked once against
    model_validate, so a pydantic that stores models differently falls back to it."""
    if not _BUILDER:
        _BUILDER.append(_make_builder())
    return _BUILDER[0]


def _make_builder() -> Callable[[Row], LedgerEntry]:
    new, setattr_ = object.__new__, object.__setattr__
    names = FIELDS
    fields_set = set(names)

    def fast(values: Row) -> LedgerEntry:
        entry = new(LedgerEntry)
        setattr_(entry, "__dict__", dict(zip(names, values)))  # noqa: B905 - 9 and 9
        setattr_(entry, "__pydantic_fields_set__", fields_set)
        setattr_(entry, "__pydantic_extra__", None)
        setattr_(entry, "__pydantic_private__", None)
        return entry

    def slow(values: Row) -> LedgerEntry:
        return LedgerEntry.model_validate(dict(zip(names, values, strict=True)))

    probe = ("P-1", "c", 1, date(2026, 1, 1), "payment", "cash", "", "", "")
    try:
        same = fast(probe) == slow(probe) and fast(probe).signed_amount == 1
    except Exception:  # noqa: BLE001 - any surprise: use the public way
        same = False
    return fast if same else slow


@dataclass(frozen=True)
class LedgerPart:
    """The valid entries of one payments file, as columns, and where each was written."""

    source: SourceFile
    columns: Columns
    # Where each valid entry was written, when some items of the file were left out;
    # None: row n is item n of the file, labelled by its id (every item was valid).
    placed: Sequence[Placed] | None = None

    def placed_at(self, row: int) -> Placed:
        if self.placed is not None:
            return self.placed[row]
        return Placed(self.source, (row,), self.columns[0][row])
