"""writer: new customer files and ledger entries, validated, text-preserving."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.state.encryption import decrypt, load_identity
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import (
    NewEntry,
    add_entry,
    append_entry,
    create_file,
    next_entry_id,
    replace_file,
    yaml_scalar,
)


@pytest.mark.parametrize(
    "value",
    [
        "081234567890",
        "0123",
        "123456",
        "no",
        "yes",
        "null",
        "~",
        "2026-01-01",
        "a: b",
        "#x",
        "Budi Santoso",
        "Jl. Mawar 12, RT 02/RW 05",
        "-x",
        "'q'",
        'say "hi"',
        "",
        " lead",
        "ok ",
    ],
)
def test_scalar_reads_back_as_the_same_string(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))))
def test_any_text_reads_back(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


def test_next_id_counts_only_that_month() -> None:
    ids = ["P-2026-11-0007", "P-2026-11-0002", "P-2026-10-0044", "legacy-1"]
    assert next_entry_id(ids, date(2026, 11, 30)) == "P-2026-11-0008"
    assert next_entry_id(ids, date(2026, 12, 1)) == "P-2026-12-0001"
    assert next_entry_id(["P-2026-11-01679", "P-2026-11-0002"], date(2026, 11, 1)) == (
        "P-2026-11-01680"
    )


ENTRY = {"id": "P-2026-11-0002", "customer": "budi", "amount": 150000, "date": date(2026, 11, 3)}


def test_append_keeps_the_file_byte_for_byte() -> None:
    original = "# header\n- id: P-2026-11-0001   # first\n  customer: budi\n\n# trailing comment"
    text = append_entry(original, ENTRY, "2026-11")
    assert text.startswith(original)
    entries = yaml.safe_load(text)
    assert [e["id"] for e in entries] == ["P-2026-11-0001", "P-2026-11-0002"]


def test_append_follows_an_indented_list() -> None:
    original = "  - id: P-2026-11-0001\n    customer: budi\n"
    entries = yaml.safe_load(append_entry(original, ENTRY, "2026-11"))
    assert entries[1]["customer"] == "budi" and len(entries) == 2


def test_append_to_new_file_writes_a_header() -> None:
    text = append_entry(None, ENTRY, "2026-11")
    assert text.startswith("# Payment ledger for 2026-11")
    assert yaml.safe_load(text) == [ENTRY]


def test_flow_style_ledger_is_refused() -> None:
    with pytest.raises(IskError, match="flow-style"):
        append_entry("[]\n", ENTRY, "2026-11")


def test_pay_appends_with_next_id(example_repo: Path) -> None:
    state = load_state(example_repo)
    ledger = example_repo / "payments" / "2026-06.yaml"
    before = ledger.read_bytes()
    june = [e.id for e in state.ledger if e.id.startswith("P-2026-06-")]
    entry = NewEntry(
        "budi-santoso", 150000, date(2026, 6, 30), method="transfer", reference="BCA 1"
    )
    entry_id, relpath, new_state = add_entry(example_repo, state, entry)
    assert relpath == "payments/2026-06.yaml"
    assert entry_id == f"P-2026-06-{max(int(i[-4:]) for i in june) + 1:04d}"
    assert ledger.read_bytes().startswith(before)
    added = {e.id: e for e in new_state.ledger}[entry_id]
    assert (added.customer, added.amount, added.method, added.reference) == (
        "budi-santoso",
        150000,
        "transfer",
        "BCA 1",
    )


def test_pay_into_a_new_month_creates_the_file(example_repo: Path) -> None:
    state = load_state(example_repo)
    entry = NewEntry("budi-santoso", 50000, date(2027, 2, 1), kind="credit")
    entry_id, relpath, new_state = add_entry(example_repo, state, entry)
    assert (entry_id, relpath) == ("P-2027-02-0001", "payments/2027-02.yaml")
    assert any(e.id == entry_id and e.kind == "credit" for e in new_state.ledger)


def test_pay_for_unknown_customer_changes_nothing(example_repo: Path) -> None:
    state = load_state(example_repo)
    with pytest.raises(IskError, match="unknown customer"):
        add_entry(example_repo, state, NewEntry("nobody", 1000, date(2027, 3, 1)))
    assert not (example_repo / "payments" / "2027-03.yaml").exists()


def test_invalid_write_restores_the_original_bytes(example_repo: Path) -> None:
    ledger = example_repo / "payments" / "2026-06.yaml"
    before = ledger.read_bytes()
    broken = before.decode() + "- id: P-2026-06-0001\n  customer: nobody\n  amount: 0\n"
    with pytest.raises(ValidationFailed):
        replace_file(example_repo, "payments/2026-06.yaml", broken)
    assert ledger.read_bytes() == before


def _isk(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    code = run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-29", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_customer_add_writes_a_valid_file_and_shows_the_password_once(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(
        capsys,
        example_repo,
        "customer",
        "add",
        "siti",
        "--name",
        "Siti Aminah",
        "--router",
        "core-kudus",
        "--profile",
        "home-10m",
        "--phone",
        "081234567890",
    )
    assert code == 0, err
    path = example_repo / "state" / "customers" / "siti.yaml"
    text = path.read_text()
    assert text.startswith("# Customer siti")
    customer = load_state(example_repo).customers["siti"]
    assert customer.phone == "081234567890"
    assert customer.start == date(2026, 11, 29)
    password = [line for line in out.splitlines() if "password" in line][0].split()[-1]
    assert password not in text
    assert decrypt(customer.pppoe.password, load_identity()) == password
    assert out.count(password) == 1


def test_customer_add_refuses_to_overwrite(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = example_repo / "state" / "customers" / "budi-santoso.yaml"
    before = path.read_bytes()
    code, out, err = _isk(
        capsys,
        example_repo,
        "customer",
        "add",
        "budi-santoso",
        "--name",
        "X",
        "--router",
        "core-kudus",
        "--profile",
        "home-10m",
    )
    assert code == 1 and "already exists" in err
    assert path.read_bytes() == before


def test_customer_add_with_unknown_profile_leaves_nothing(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(
        capsys,
        example_repo,
        "customer",
        "add",
        "zaki",
        "--name",
        "Zaki",
        "--router",
        "core-kudus",
        "--profile",
        "home-999m",
    )
    assert code == 1 and "unknown profile" in err
    assert "password" not in out
    assert not list((example_repo / "state" / "customers").glob("*zaki*"))


def test_customer_add_username_clash_writes_nothing(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(
        capsys,
        example_repo,
        "customer",
        "add",
        "zaki",
        "--name",
        "Zaki",
        "--router",
        "core-kudus",
        "--profile",
        "home-10m",
        "--username",
        "budi-santoso",
    )
    assert code == 1 and "already used" in err
    assert not (example_repo / "state" / "customers" / "zaki.yaml").exists()


def test_new_file_failing_validation_is_removed(example_repo: Path) -> None:
    text = "name: Zaki\nrouter: core-kudus\nstart: 2026-11-01\nprofile: no-such-package\n"
    with pytest.raises(ValidationFailed):
        create_file(example_repo, "state/customers/zaki.yaml", text)
    assert not list((example_repo / "state" / "customers").glob("*zaki*"))
