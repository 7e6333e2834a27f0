"""An appended ledger entry checked on its own (state.appending, issue 12) agrees with a
full validation of the repository: `isk pay` accepts exactly what `isk validate` would,
and the State it answers is the one a full load builds."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.state import appending, statecache
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import NewEntry, add_entry, entry_fields

JUNE = "payments/2026-06.yaml"


def fully_validated(repo: Path) -> object:
    """What a cold, full `isk validate` makes of the repository: a State or the errors."""
    try:
        return load_state(repo, cache=False)
    except ValidationFailed as failure:
        return failure


def warm(repo: Path) -> Path:
    load_state(repo)
    statecache.load(repo, statecache.fingerprint(repo))  # a hit: the incremental path runs
    return repo


GOOD = [
    NewEntry("budi-santoso", 150000, date(2026, 6, 30), method="transfer", reference="BCA 1"),
    NewEntry("budi-santoso", 50000, date(2026, 6, 30), kind="credit", note="outage"),
    NewEntry("budi-santoso", 10000, date(2026, 6, 30), kind="refund", method="cash"),
    NewEntry("budi-santoso", 5000, date(2026, 6, 30), kind="writeoff", reason="moved away"),
    NewEntry("budi-santoso", 70000, date(2027, 2, 1), method="qris"),  # a new month file
    NewEntry("budi-santoso", 70000, date(2026, 6, 1), method="cash", note="Pak Budi: 'lunas' # ok"),
]


@pytest.mark.parametrize("entry", GOOD, ids=lambda entry: f"{entry.kind}-{entry.date}")
def test_a_good_payment_gives_the_state_a_full_load_gives(
    example_repo: Path, entry: NewEntry
) -> None:
    before = load_state(warm(example_repo))
    entry_id, relpath, state = add_entry(example_repo, None, entry)
    full = fully_validated(example_repo)
    # the check on its own vouches for it, with the State the full load builds
    known = appending.ledger_file(before, relpath)
    text = (example_repo / relpath).read_text()
    fields = entry_fields(entry_id, entry)
    assert appending.appended_state(example_repo, before, known, text, fields) == full
    assert isinstance(full, type(state)) and state == full
    assert dict(state.locations) == dict(full.locations)
    assert state.loc("ledger", entry_id) == full.loc("ledger", entry_id)
    # the State cache now holds that State for the new files: the next command is warm
    cached = statecache.load(example_repo, statecache.fingerprint(example_repo))
    assert cached == full and dict(cached.locations) == dict(full.locations)
    assert relpath.startswith("payments/")


# Payments the full validation refuses: each must be refused, and leave the file as it was.
BAD = {
    "control character in the note": NewEntry("budi-santoso", 1000, date(2026, 6, 30),
                                              method="cash", note="bell\x07"),
    "control character in the reference": NewEntry("budi-santoso", 1000, date(2026, 6, 30),
                                                   method="cash", reference="a\x1b[2Jb"),
    "a writeoff without a reason": NewEntry("budi-santoso", 1000, date(2026, 6, 30),
                                            kind="writeoff"),
    "a payment without a method": NewEntry("budi-santoso", 1000, date(2026, 6, 30)),
    "a reason on a payment": NewEntry("budi-santoso", 1000, date(2026, 6, 30), method="cash",
                                      reason="why"),
}  # fmt: skip


@pytest.mark.parametrize("name", BAD)
def test_a_bad_payment_is_refused_as_the_full_validation_refuses_it(
    example_repo: Path, name: str, tmp_path: Path
) -> None:
    entry = BAD[name]
    ledger = example_repo / JUNE
    before = ledger.read_bytes()
    # What the full validation says of the same bytes, written by hand in a copy.
    copy = tmp_path / "copy"
    shutil.copytree(example_repo, copy)
    state = load_state(copy, cache=False)
    known = appending.ledger_file(state, JUNE)
    entry_id = "P-2026-06-9999"
    from isk_reconcile.state.writer import append_entry

    text = append_entry(before.decode(), entry_fields(entry_id, entry), "2026-06")
    (copy / JUNE).write_text(text)
    assert isinstance(fully_validated(copy), ValidationFailed)
    assert appending.appended_state(copy, state, known, text, entry_fields(entry_id, entry)) is None
    with pytest.raises((ValidationFailed, IskError)):
        add_entry(warm(example_repo), None, entry)
    assert ledger.read_bytes() == before


def test_an_amount_over_the_maximum_is_refused_incrementally_too(example_repo: Path) -> None:
    state = load_state(example_repo)
    most = state.settings.billing.max_amount
    known = appending.ledger_file(state, JUNE)
    text = (example_repo / JUNE).read_text()
    fields = {"id": "P-2026-06-9999", "customer": "budi-santoso", "amount": most + 1,
              "date": date(2026, 6, 30), "kind": "payment", "method": "cash"}  # fmt: skip
    assert appending.appended_state(example_repo, state, known, text, fields) is None
    fields |= {"amount": 1000, "customer": "nobody"}
    assert appending.appended_state(example_repo, state, known, text, fields) is None


def test_an_id_already_used_in_another_file_is_refused(example_repo: Path) -> None:
    state = load_state(example_repo)
    other = next(entry.id for entry in state.ledger if not entry.id.startswith("P-2026-06"))
    known = appending.ledger_file(state, JUNE)
    fields = {"id": other, "customer": "budi-santoso", "amount": 1000,
              "date": date(2026, 6, 30), "kind": "payment", "method": "cash"}  # fmt: skip
    from isk_reconcile.state.writer import append_entry

    text = append_entry((example_repo / JUNE).read_text(), fields, "2026-06")
    (example_repo / JUNE).write_text(text)
    assert isinstance(fully_validated(example_repo), ValidationFailed)
    assert appending.appended_state(example_repo, state, known, text, fields) is None


def test_a_tail_that_reads_differently_is_left_to_the_full_validation(example_repo: Path) -> None:
    """Text that changes the last old entry (here: its note continues) is not vouched for."""
    state = load_state(example_repo)
    known = appending.ledger_file(state, JUNE)
    fields = {"id": "P-2026-06-9999", "customer": "budi-santoso", "amount": 1000,
              "date": date(2026, 6, 30), "kind": "payment", "method": "cash"}  # fmt: skip
    from isk_reconcile.state.writer import entry_text

    original = (example_repo / JUNE).read_text()
    changed = original + "  note: appended to the last entry\n" + entry_text(fields)
    assert appending.appended_state(example_repo, state, known, changed, fields) is None
