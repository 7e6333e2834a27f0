"""State.locations as the validated-state cache stores them (issue 12): five columns
(kind, key, file, line, column), not 133,000 small lists, because reading columns of
plain values is several times faster than reading that many lists; and, on load, a
mapping that makes its Loc objects when first looked up (most commands never look one
up). A cold load gives its ledger's locations as columns too (state.ledgerfiles). A
malformed row is left out (a lookup then finds nothing, as for any unwritten thing:
messages fall back to the file).
"""

from __future__ import annotations

import operator
from collections.abc import ItemsView, Iterable, Iterator, Mapping
from itertools import chain, compress, repeat
from types import MappingProxyType
from typing import Any

from isk_reconcile.errors import Loc

Key = tuple[str, str]  # ("router", name), ("customer", id), ("ledger", entry id), ...
WIDTH = 5  # kind, key, file, line, column


def encode(locations: Mapping[Key, Loc]) -> list[list[Any]]:
    """The five columns of `locations` (of columns not made into locations yet: those)."""
    if isinstance(locations, CachedLocations) and locations._built is None:
        return locations._columns
    rows = [(kind, key, loc.file, loc.line, loc.column) for (kind, key), loc in
            locations.items()]  # fmt: skip
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * WIDTH


def decode(value: Any) -> CachedLocations:
    """The mapping of five stored columns; ValueError when they are not five equal lists."""
    if not (isinstance(value, list) and len(value) == WIDTH):
        raise ValueError("locations")
    if not all(isinstance(column, list) for column in value):
        raise TypeError("locations")
    if len({len(column) for column in value}) != 1:
        raise ValueError("location columns differ in length")
    return CachedLocations(value)


# --- as the state cache file holds them --------------------------------------------------
# Most rows are the ledger's: the kind "ledger", a key that is the entry's id, the same
# file for a month of entries, column 1. Stored as they are, they were 8 MB of JSON and
# 400,000 strings to read back; stored as runs (kind, file, column) and as slices of the
# ledger's id column (keys), they are the line numbers and little else, and the keys read
# back are the ledger's own id strings.


def stored(columns: list[list[Any]], ledger_ids: list[Any]) -> list[list[Any]]:
    """The five columns as the state cache file holds them (`unstored` reverses it)."""
    kinds, keys, files, lines, starts = columns
    return [_runs(kinds), _slices(keys, kinds, ledger_ids), _runs(files), lines, _runs(starts)]


def unstored(value: Any, ledger_ids: list[Any]) -> list[list[Any]]:
    """The five columns of a stored value; ValueError/TypeError when it is not one."""
    if not (isinstance(value, list) and len(value) == WIDTH):
        raise ValueError("locations")
    kinds, keys, files, lines, starts = value
    if not isinstance(lines, list):
        raise TypeError("locations")
    return [_unrun(kinds), _unslice(keys, ledger_ids), _unrun(files), lines, _unrun(starts)]


def _runs(column: list[Any]) -> list[list[Any]]:
    """[value, count] for each run of equal values."""
    runs: list[list[Any]] = []
    for value in column:
        if runs and runs[-1][0] == value and type(runs[-1][0]) is type(value):
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return runs


def _unrun(runs: Any) -> list[Any]:
    if not isinstance(runs, list) or not all(
        isinstance(run, list) and len(run) == 2 and type(run[1]) is int and run[1] > 0
        for run in runs
    ):
        raise ValueError("location runs")
    return list(chain.from_iterable(repeat(value, count) for value, count in runs))


def _slices(keys: list[Any], kinds: list[Any], ledger_ids: list[Any]) -> list[Any]:
    """Each key as it is, except ledger keys that continue the ledger's id column:
    [start, count] for each run of those."""
    position = {key: number for number, key in enumerate(ledger_ids)}
    found: list[Any] = []
    for kind, key in zip(kinds, keys, strict=True):
        at = position.get(key) if kind == "ledger" else None
        last = found[-1] if found else None
        if at is not None and isinstance(last, list) and last[0] + last[1] == at:
            last[1] += 1
        elif at is not None:
            found.append([at, 1])
        else:
            found.append(key)
    return found


def _unslice(found: Any, ledger_ids: list[Any]) -> list[Any]:
    if not isinstance(found, list):
        raise TypeError("location keys")
    keys: list[Any] = []
    for item in found:
        if isinstance(item, list):
            start, count = item  # ValueError when not two
            if not (type(start) is int and type(count) is int and count > 0 and start >= 0):
                raise ValueError("location key slice")
            if start + count > len(ledger_ids):
                raise IndexError("location key slice")
            keys.extend(ledger_ids[start : start + count])
        else:
            keys.append(item)
    return keys


def _well_formed(row: tuple[Any, ...]) -> bool:
    kind, key, file, line, column = row
    texts = type(kind) is str and type(key) is str and type(file) is str
    return texts and type(line) is int and type(column) is int


def _all_of(kind: type, column: list[Any]) -> bool:
    """Whether every value of `column` is exactly of type `kind` (in C: no loop here)."""
    return not column or set(map(type, column)) == {kind}


def _loc(row: tuple[Any, ...]) -> Loc | None:
    return Loc(row[2], row[3], row[4]) if _well_formed(row) else None


class CachedLocations(Mapping[Key, Loc]):
    def __init__(self, columns: list[list[Any]]):
        self._columns = columns
        self._built: dict[Key, Loc] | None = None

    def _rows(self) -> Iterable[tuple[Any, ...]]:
        return zip(*self._columns, strict=True)

    def _table(self) -> dict[Key, Loc]:
        if self._built is None:
            built: dict[Key, Loc] = {}
            for row in self._rows():
                loc = _loc(row)
                if loc is not None:
                    built[(row[0], row[1])] = loc
            self._built, self._columns = built, [[]] * WIDTH
        return self._built

    def __getitem__(self, key: Key) -> Loc:
        return self._table()[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def items(self) -> ItemsView[Key, Loc]:
        return self._table().items()  # the dict's own view: no lookup per key

    def ledger_places(self) -> dict[str, tuple[str, int]]:
        """Ledger id -> (file, line), without making a Loc for each."""
        if self._built is not None:
            return ledger_places(self._built)
        kinds, keys, files, lines, columns = self._columns
        if all(_all_of(type_, column) for type_, column in ((str, kinds), (str, keys),
               (str, files), (int, lines), (int, columns))):  # fmt: skip
            # Every row well formed (as isk writes them): no check per row, 133,000 rows.
            rows = zip(kinds, keys, files, lines, strict=True)
            return {key: (file, line) for kind, key, file, line in rows if kind == "ledger"}
        places: dict[str, tuple[str, int]] = {}
        for row in self._rows():
            if row[0] == "ledger" and _well_formed(row):
                places[row[1]] = (row[2], row[3])
        return places


def location(locations: Mapping[Key, Loc], key: Key) -> Loc:
    """locations[key]; from unbuilt columns, the last row for `key` (as building them
    would keep), found from the end: an appended entry's is the last row."""
    if not (isinstance(locations, CachedLocations) and locations._built is None):
        return locations[key]
    columns = locations._columns
    backwards = columns[1][::-1]  # the keys, searched from the end by list.index (in C)
    found = -1
    while True:
        try:
            found = backwards.index(key[1], found + 1)
        except ValueError:
            raise KeyError(key) from None
        row = tuple(column[len(backwards) - 1 - found] for column in columns)
        if row[0] == key[0] and (loc := _loc(row)) is not None:
            return loc


def with_location(locations: Mapping[Key, Loc], key: Key, loc: Loc) -> Mapping[Key, Loc]:
    """`locations` plus `key` at `loc` (cached columns stay unbuilt)."""
    if isinstance(locations, CachedLocations) and locations._built is None:
        row = (*key, loc.file, loc.line, loc.column)
        return CachedLocations(
            [[*column, value] for column, value in zip(locations._columns, row, strict=True)]
        )
    table = dict(locations.items())
    table[key] = loc
    return MappingProxyType(table)


def ledger_files(locations: Mapping[Key, Loc]) -> dict[str, str]:
    """Ledger entry id -> its file, of a State's locations; from well-formed unbuilt
    columns in C (`isk pay` asks for 123,000 of them to place one entry)."""
    if isinstance(locations, CachedLocations) and locations._built is None:
        kinds, keys, files, lines, columns = locations._columns
        if all(_all_of(type_, column) for type_, column in ((str, kinds), (str, keys),
               (str, files), (int, lines), (int, columns))):  # fmt: skip
            ledger = list(map(operator.eq, kinds, repeat("ledger")))
            return dict(zip(compress(keys, ledger), compress(files, ledger), strict=True))
    return {key: place[0] for key, place in ledger_places(locations).items()}


def ledger_places(locations: Mapping[Key, Loc]) -> dict[str, tuple[str, int]]:
    """Ledger entry id -> (file, line) of a State's locations."""
    if isinstance(locations, CachedLocations):
        return locations.ledger_places()
    return {key[1]: (loc.file, loc.line) for key, loc in locations.items() if key[0] == "ledger"}
