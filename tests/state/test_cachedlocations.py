"""Locations as the state cache stores them (issue 12): five columns, looked up without
building 133,000 Loc objects, giving what the built table gives."""

from __future__ import annotations

import pytest

from isk_reconcile.errors import Loc
from isk_reconcile.state import cachedlocations
from isk_reconcile.state.cachedlocations import CachedLocations

ROWS = [
    ("customer", "budi", "state/customers/budi.yaml", 1, 1),
    ("ledger", "P-1", "payments/2026-10.yaml", 1, 3),
    ("ledger", "P-2", "payments/2026-11.yaml", 7, 3),
    ("ledger", "budi", "payments/2026-11.yaml", 12, 3),  # a ledger id that is a customer's
    ("ledger", "P-1", "payments/2026-12.yaml", 4, 3),  # the same key again: the last wins
    ("ledger", "P-3", 5, "not a line", 3),  # malformed: left out
]


def unbuilt(rows: list[tuple]) -> CachedLocations:
    return cachedlocations.decode([list(column) for column in zip(*rows, strict=True)])


def test_one_location_from_the_columns_is_the_built_tables() -> None:
    built = dict(unbuilt(ROWS).items())
    for key in [("ledger", "P-1"), ("ledger", "P-2"), ("ledger", "budi"), ("customer", "budi")]:
        assert cachedlocations.location(unbuilt(ROWS), key) == built[key]
    assert cachedlocations.location(unbuilt(ROWS), ("ledger", "P-1")) == Loc(
        "payments/2026-12.yaml", 4, 3
    )
    for missing in [("ledger", "P-3"), ("ledger", "P-9"), ("router", "budi")]:
        with pytest.raises(KeyError):
            cachedlocations.location(unbuilt(ROWS), missing)


@pytest.mark.parametrize("rows", [ROWS[:5], ROWS], ids=["well formed", "one malformed row"])
def test_the_files_of_ledger_entries_are_those_of_their_places(rows: list[tuple]) -> None:
    places = cachedlocations.ledger_places(unbuilt(rows))
    files = cachedlocations.ledger_files(unbuilt(rows))
    assert files == {key: place[0] for key, place in places.items()}
    assert files == {
        "P-1": "payments/2026-12.yaml",
        "P-2": "payments/2026-11.yaml",
        "budi": "payments/2026-11.yaml",
    }
    built = unbuilt(rows)
    dict(built.items())  # built: the same answers from the table
    assert cachedlocations.ledger_files(built) == files


def columns_of(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


@pytest.mark.parametrize(
    "ids",
    [["P-1", "P-2", "budi"], ["P-2", "P-1"], [], ["P-1", "X", "P-2", "budi"]],
    ids=["in order", "out of order", "no ledger", "with a gap"],
)
def test_stored_columns_read_back_as_they_were(ids: list[str]) -> None:
    columns = columns_of(ROWS)
    stored = cachedlocations.stored(columns, ids)
    assert cachedlocations.unstored(stored, ids) == columns


def test_the_ledgers_rows_are_stored_as_runs_and_slices() -> None:
    ids = [f"P-{n}" for n in range(1000)]
    rows = [("customer", "budi", "state/customers/budi.yaml", 1, 1)] + [
        ("ledger", key, "payments/2026-11.yaml", 3 * n + 1, 1) for n, key in enumerate(ids)
    ]
    stored = cachedlocations.stored(columns_of(rows), ids)
    kinds, keys, files, lines, starts = stored
    assert kinds == [["customer", 1], ["ledger", 1000]] and starts == [[1, 1001]]
    assert keys == ["budi", [0, 1000]] and len(files) == 2 and len(lines) == 1001
    back = cachedlocations.unstored(stored, ids)
    assert back == columns_of(rows)
    assert all(key is one for key, one in zip(back[1][1:], ids, strict=True))  # not copies


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[:4],
        lambda s: [s[0], [[5, 1]], *s[2:]],  # a slice beyond the ids
        lambda s: [s[0], [[-1, 1]], *s[2:]],
        lambda s: [s[0], [[0, 0]], *s[2:]],
        lambda s: [s[0], [[0, 1, 2]], *s[2:]],
        lambda s: [[["ledger", 0]], *s[1:]],  # a run of none
        lambda s: [[["ledger", True]], *s[1:]],
        lambda s: [s[0], "keys", *s[2:]],
        lambda s: [*s[:3], {"lines": 1}, s[4]],
    ],
)
def test_a_damaged_stored_value_is_refused(damage) -> None:
    ids = ["P-1", "P-2"]
    stored = cachedlocations.stored(columns_of(ROWS[:3]), ids)
    with pytest.raises((ValueError, TypeError, IndexError)):
        cachedlocations.decode(cachedlocations.unstored(damage(stored), ids))
