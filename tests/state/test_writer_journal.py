"""writer: every write is journaled under the repository lock (a command that dies after
writing is reported to the next writer, with what it wrote and which command wrote it),
and `write_files` (isk import) writes a set of files together or not at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.state.encryption import encrypt
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import (
    NewCustomer,
    NewEntry,
    UnfinishedWrite,
    add_customer,
    add_entry,
    create_file,
    create_files,
    customer_document,
    repository_lock,
    write_files,
)


class Killed(Exception):
    """Stands for the command dying after its write, before it finished (and committed)."""


def _left_behind(repo: Path) -> list[UnfinishedWrite]:
    with repository_lock(repo) as lock:
        return lock.interrupted


def _zaki(state, profile: str = "home-10m") -> NewCustomer:
    password = encrypt("s3cret-pass", state.settings.secrets.recipients)
    return NewCustomer("zaki", "Zaki", "core-kudus", profile, date(2026, 11, 29), password)


@pytest.mark.parametrize("command", [None, "isk receive"])
def test_a_payment_written_by_a_command_that_died_is_reported_with_its_id(
    example_repo: Path, command: str | None
) -> None:
    state = load_state(example_repo)
    entry = NewEntry("budi-santoso", 150000, date(2027, 2, 1), method="cash")
    with pytest.raises(Killed), repository_lock(example_repo):
        if command is None:
            entry_id, relpath, _ = add_entry(example_repo, state, entry)
        else:
            entry_id, relpath, _ = add_entry(example_repo, state, entry, command)
        raise Killed
    assert (entry_id, relpath) == ("P-2027-02-0001", "payments/2027-02.yaml")
    assert _left_behind(example_repo) == [UnfinishedWrite(relpath, entry_id, command or "isk pay")]
    assert _left_behind(example_repo) == []  # reported once, to the next writer


def test_a_customer_file_written_by_a_command_that_died_is_reported(example_repo: Path) -> None:
    state = load_state(example_repo)
    with pytest.raises(Killed), repository_lock(example_repo):
        add_customer(example_repo, state, _zaki(state))
        raise Killed
    assert _left_behind(example_repo) == [
        UnfinishedWrite("state/customers/zaki.yaml", None, "isk customer add")
    ]


def test_files_created_without_a_command_name_are_reported_as_isk(example_repo: Path) -> None:
    state = load_state(example_repo)
    text = customer_document(_zaki(state))
    with pytest.raises(Killed), repository_lock(example_repo):
        create_file(example_repo, "state/customers/zaki.yaml", text)
        create_files(example_repo, {"state/customers/ani-2.yaml": text.replace("Zaki", "Ani")})
        raise Killed
    assert _left_behind(example_repo) == [
        UnfinishedWrite("state/customers/zaki.yaml", None, "isk"),
        UnfinishedWrite("state/customers/ani-2.yaml", None, "isk"),
    ]


def test_refusing_to_overwrite_leaves_the_file_and_nothing_to_report(example_repo: Path) -> None:
    path = example_repo / "state" / "customers" / "budi-santoso.yaml"
    before = path.read_bytes()
    with pytest.raises(IskError) as refused:
        create_files(
            example_repo,
            {"state/customers/budi-santoso.yaml": "name: X\n", "state/customers/new.yaml": "x"},
        )
    assert str(refused.value) == (
        "state/customers/budi-santoso.yaml already exists: refusing to overwrite it"
    )
    assert path.read_bytes() == before
    assert not (example_repo / "state" / "customers" / "new.yaml").exists()
    assert _left_behind(example_repo) == []


def _import_set(repo: Path, state, *, profile: str = "home-10m") -> dict[str, str]:
    ledger = repo / "payments" / "2026-06.yaml"
    appended = ledger.read_text() + (
        "- id: P-2026-06-9001\n  customer: zaki\n  amount: 1000\n  date: 2026-06-30\n"
        "  kind: credit\n"
    )
    new = customer_document(_zaki(state, profile)).replace("2026-11-29", "2026-06-01")
    return {"state/customers/zaki.yaml": new, "payments/2026-06.yaml": appended}


def test_import_creates_and_replaces_files_together_and_journals_each(example_repo: Path) -> None:
    state = load_state(example_repo)
    files = _import_set(example_repo, state)
    with pytest.raises(Killed), repository_lock(example_repo):
        imported = write_files(example_repo, files)
        raise Killed
    assert "zaki" in imported.customers
    assert any(e.id == "P-2026-06-9001" for e in imported.ledger)
    for relpath, text in files.items():
        assert (example_repo / relpath).read_text() == text
    assert _left_behind(example_repo) == [
        UnfinishedWrite(relpath, None, "isk import") for relpath in files
    ]


def test_an_import_that_fails_validation_leaves_every_file_as_it_was(example_repo: Path) -> None:
    state = load_state(example_repo)
    ledger = example_repo / "payments" / "2026-06.yaml"
    before = ledger.read_bytes()
    files = _import_set(example_repo, state, profile="no-such-package")
    with pytest.raises(ValidationFailed):
        write_files(example_repo, files, "isk import")
    assert ledger.read_bytes() == before
    assert not (example_repo / "state" / "customers" / "zaki.yaml").exists()
