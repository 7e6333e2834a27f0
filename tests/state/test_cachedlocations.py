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
