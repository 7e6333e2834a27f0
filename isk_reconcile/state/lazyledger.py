"""A ledger whose entries are built when first looked at (issue 12).

The validated-state cache holds the ledger as checked columns; building its 123,000
LedgerEntry objects costs more than reading them, and `isk customers` (standings from
their cache), `isk plan` and `isk customer show ID` never look at most of them. The
columns are checked when the cache is read (statecache); only the building waits.
Compares equal to the tuple of the same entries, as State.ledger always has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, overload

from isk_reconcile.state.ledger import LedgerEntry

# The fields of one entry in column order (the state cache stores them so, and checks
# that LedgerEntry has exactly these fields).
FIELDS = ("id", "customer", "amount", "date", "kind", "method", "reference", "note", "reason")
Row = tuple[Any, ...]  # one entry's values, in FIELDS order
CUSTOMER = FIELDS.index("customer")


class LazyLedger(Sequence[LedgerEntry]):
    __slots__ = ("_columns", "_build", "_made", "_rows_of", "_built_rows")

    def __init__(
        self, columns: Sequence[Sequence[Any]], build: Callable[[Row], LedgerEntry]
    ) -> None:
        """`columns`: one list per field, in Row order, all of the same length."""
        self._columns: Sequence[Sequence[Any]] | None = columns
        self._build = build
        self._made: tuple[LedgerEntry, ...] | None = None
        # row numbers (or, once built, entries) by customer, when first asked for one
        self._rows_of: dict[str, list[Any]] | None = None
        self._built_rows = False

    def _all(self) -> tuple[LedgerEntry, ...]:
        made, columns = self._made, self._columns
        if made is None:
            # Two threads may both build (the same entries); neither finds rows gone.
            made = (
                tuple(map(self._build, zip(*columns, strict=True)))
                if columns is not None
                else self._made
            )
            assert made is not None
            self._made, self._columns = made, None
        return made

    def entries_of(self, customer_id: str) -> tuple[LedgerEntry, ...]:
        """One customer's entries in ledger order, building only those (once built, from
        the built entries)."""
        if self._rows_of is None:
            grouped: dict[str, list[Any]] = {}
            columns = self._columns if self._made is None else None
            if columns is not None:  # row numbers by customer
                for number, customer in enumerate(columns[CUSTOMER]):
                    grouped.setdefault(customer, []).append(number)
            else:
                for entry in self._all():
                    grouped.setdefault(entry.customer, []).append(entry)
            self._rows_of, self._built_rows = grouped, columns is None
        found = self._rows_of.get(customer_id, ())
        if self._built_rows:
            return tuple(found)
        columns = self._columns
        if columns is None:  # built since the rows were grouped: group the entries instead
            self._rows_of = None
            return self.entries_of(customer_id)
        return tuple(self._build(tuple(column[n] for column in columns)) for n in found)

    @overload
    def __getitem__(self, index: int) -> LedgerEntry: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[LedgerEntry, ...]: ...
    def __getitem__(self, index: int | slice) -> LedgerEntry | tuple[LedgerEntry, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        columns = self._columns
        return len(columns[0]) if columns is not None else len(self._all())

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyLedger):
            return self._all() == other._all()
        return self._all() == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


# --- what `isk pay` asks of a ledger, without building it ----------------------------------


def entry_ids(ledger: Sequence[LedgerEntry]) -> Sequence[str]:
    """The id of every entry, in ledger order."""
    columns = ledger._columns if isinstance(ledger, LazyLedger) else None
    return columns[FIELDS.index("id")] if columns is not None else [e.id for e in ledger]


def entries_at(ledger: Sequence[LedgerEntry], numbers: Sequence[int]) -> tuple[LedgerEntry, ...]:
    """The entries at these positions, building only those."""
    columns = ledger._columns if isinstance(ledger, LazyLedger) else None
    if columns is None:
        return tuple(ledger[n] for n in numbers)
    assert isinstance(ledger, LazyLedger)
    return tuple(ledger._build(tuple(column[n] for column in columns)) for n in numbers)


def with_entry(ledger: Sequence[LedgerEntry], at: int, entry: LedgerEntry) -> Sequence[LedgerEntry]:
    """`ledger` with `entry` inserted at position `at` (an unbuilt ledger stays unbuilt)."""
    columns = ledger._columns if isinstance(ledger, LazyLedger) else None
    if columns is None:
        return (*ledger[:at], entry, *ledger[at:])
    assert isinstance(ledger, LazyLedger)
    row = [getattr(entry, name) for name in FIELDS]
    return LazyLedger(
        [[*column[:at], value, *column[at:]] for column, value in zip(columns, row, strict=True)],
        ledger._build,
    )


def entries_after(ledger: Sequence[LedgerEntry], day: date) -> tuple[LedgerEntry, ...]:
    """The entries dated after `day`, in ledger order, building only those (a warm
    `isk validate` warns about them without building the other 123,000)."""
    columns = ledger._columns if isinstance(ledger, LazyLedger) else None
    if columns is None:
        return tuple(entry for entry in ledger if entry.date > day)
    dates = columns[FIELDS.index("date")]
    return entries_at(ledger, [number for number, dated in enumerate(dates) if dated > day])
