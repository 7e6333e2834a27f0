"""A ledger whose entries are built when first looked at (issue 12).

The validated-state cache holds the ledger as checked columns, and the loader checks a
payments file's entries as columns (ledgercolumns); building their 123,000 LedgerEntry
objects costs more than reading them, and `isk validate`, `isk customers` (standings
from their cache), `isk plan` and `isk customer show ID` never look at most of them.
The columns are checked when they are made; only the building waits.
Compares equal to the tuple of the same entries, as State.ledger always has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import partial
from itertools import compress
from typing import Any

from isk_reconcile.lazy import LazyTuple
from isk_reconcile.state.ledger import Entry, LedgerEntry, LedgerRow

# The fields of one entry in column order (the state cache stores them so, and checks
# that LedgerEntry has exactly these fields).
FIELDS = LedgerRow._fields
Row = tuple[Any, ...]  # one entry's values, in FIELDS order
CUSTOMER = FIELDS.index("customer")


class LazyLedger(LazyTuple[LedgerEntry]):
    __slots__ = ("_columns", "_build", "_rows_of", "_built_rows")

    def __init__(
        self, columns: Sequence[Sequence[Any]], build: Callable[[Row], LedgerEntry]
    ) -> None:
        """`columns`: one list per field, in Row order, all of the same length."""
        super().__init__(lambda: tuple(map(build, zip(*columns, strict=True))))
        self._columns: Sequence[Sequence[Any]] | None = columns
        self._build = build
        # row numbers (or, once built, entries) by customer, when first asked for one
        self._rows_of: dict[str, list[Any]] | None = None
        self._built_rows = False

    def _all(self) -> tuple[LedgerEntry, ...]:
        made = super()._all()
        self._columns = None  # the entries hold the values now
        return made

    def entries_of(self, customer_id: str) -> tuple[LedgerEntry, ...]:
        """One customer's entries in ledger order, building only those (once built, from
        the built entries)."""
        if self._rows_of is None:
            grouped: dict[str, list[Any]] = {}
            columns = self._columns if not self.made else None
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

    def __len__(self) -> int:
        columns = self._columns
        return len(columns[0]) if columns is not None else len(self._all())


def of_customers(ledger: Sequence[LedgerEntry], customers: frozenset[str]) -> Sequence[LedgerEntry]:
    """The entries of these customers, in ledger order; an unbuilt ledger gives an
    unbuilt one (its columns filtered in C), so only those entries are ever built."""
    if not isinstance(ledger, LazyLedger) or ledger._columns is None:
        return tuple(entry for entry in ledger if entry.customer in customers)
    columns = ledger._columns
    keep = list(map(customers.__contains__, columns[CUSTOMER]))
    return LazyLedger([list(compress(column, keep)) for column in columns], ledger._build)


def unbuilt_columns(ledger: Sequence[LedgerEntry]) -> Sequence[Sequence[Any]] | None:
    """The columns of a ledger not built yet; None for any other sequence of entries."""
    return ledger._columns if isinstance(ledger, LazyLedger) else None


_columns = unbuilt_columns


def billing_rows(ledger: Sequence[LedgerEntry]) -> Iterable[Entry]:
    """Every entry, for billing: an unbuilt ledger's as LedgerRows made from its columns
    in C (and left unbuilt), any other ledger's entries as they are."""
    columns = _columns(ledger)
    if columns is None:
        return ledger
    return map(partial(tuple.__new__, LedgerRow), zip(*columns, strict=True))


# --- what `isk pay` asks of a ledger, without building it ----------------------------------


def entry_ids(ledger: Sequence[LedgerEntry]) -> Sequence[str]:
    """The id of every entry, in ledger order."""
    columns = _columns(ledger)
    return columns[FIELDS.index("id")] if columns is not None else [e.id for e in ledger]


def entries_at(ledger: Sequence[LedgerEntry], numbers: Sequence[int]) -> tuple[LedgerEntry, ...]:
    """The entries at these positions, building only those."""
    columns = _columns(ledger)
    if columns is None:
        return tuple(ledger[n] for n in numbers)
    assert isinstance(ledger, LazyLedger)
    return tuple(ledger._build(tuple(column[n] for column in columns)) for n in numbers)


def with_entry(ledger: Sequence[LedgerEntry], at: int, entry: LedgerEntry) -> Sequence[LedgerEntry]:
    """`ledger` with `entry` inserted at position `at` (an unbuilt ledger stays unbuilt)."""
    columns = _columns(ledger)
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
    columns = _columns(ledger)
    if columns is None:
        return tuple(entry for entry in ledger if entry.date > day)
    dates = columns[FIELDS.index("date")]
    return entries_at(ledger, [number for number, dated in enumerate(dates) if dated > day])
