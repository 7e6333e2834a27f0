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
from isk_reconcile.state import appending, statecache
from isk_reconcile.state.encryption import decrypt, load_identity
from isk_reconcile.state.loader import load_state, load_state_and_files
from isk_reconcile.state.writer import (
    NewEntry,
    _Append,
    _append_file,
    _only_changed,
    add_entry,
    append_entry,
    create_file,
    entry_fields,
    next_entry_id,
    replace_file,
    yaml_scalar,
)

JUNE = "payments/2026-06.yaml"


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


def test_only_the_appended_file_may_differ_from_the_validated_fingerprint(
    example_repo: Path,
) -> None:
    """Another file edited between the load and the append (or the file itself not as
    loaded) means the whole repository is validated, not just the entry."""
    state = load_state(example_repo)
    before = statecache.fingerprint(example_repo)
    original = (example_repo / JUNE).read_bytes()
    data = original + b"- id: P-2026-06-9999\n"
    write = _Append(appending.ledger_file(state, JUNE), original, data, {})
    (example_repo / JUNE).write_bytes(data)
    assert _only_changed(before, statecache.fingerprint(example_repo), JUNE, write)
    customer = example_repo / "state/customers/budi-santoso.yaml"
    customer.write_bytes(customer.read_bytes() + b"# edited meanwhile\n")
    assert not _only_changed(before, statecache.fingerprint(example_repo), JUNE, write)
    customer.write_bytes(customer.read_bytes()[: -len(b"# edited meanwhile\n")])
    other = _Append(write.known, original + b"# not what was loaded\n", data, {})
    assert not _only_changed(before, statecache.fingerprint(example_repo), JUNE, other)
    assert not _only_changed(None, statecache.fingerprint(example_repo), JUNE, write)
    # a new file: absent when loaded, and now exactly the data
    new = _Append(write.known, None, data, {})
    (example_repo / "payments/2027-03.yaml").write_bytes(data)
    now = statecache.fingerprint(example_repo)
    before_new = {k: v for k, v in now.items() if k != "payments/2027-03.yaml"}
    assert _only_changed(before_new, now, "payments/2027-03.yaml", new)
    assert not _only_changed(before, now, "payments/2027-03.yaml", new)


# --- the append fast path (state.appending): it vouches only for what it checked --------


def _june_append(repo: Path, state: object, entry: NewEntry) -> _Append:
    known = appending.ledger_file(state, JUNE)  # type: ignore[arg-type]
    original = (repo / JUNE).read_bytes()
    fields = entry_fields("P-2026-06-9999", entry)
    text = append_entry(original.decode("utf-8"), fields, "2026-06")
    return _Append(known, original, text.encode("utf-8"), fields)


def test_an_append_after_another_file_broke_is_validated_in_full(example_repo: Path) -> None:
    """A file edited (here: broken) by someone ignoring the lock after the load: the entry
    alone would check, but the repository is validated again, refused, and undone."""
    load_state(example_repo)
    state, files = load_state_and_files(example_repo, keep=True)
    assert files is not None
    write = _june_append(example_repo, state, NewEntry("budi-santoso", 1000, date(2026, 6, 30),
                                                       method="cash"))  # fmt: skip
    customer = example_repo / "state/customers/budi-santoso.yaml"
    customer.write_text(customer.read_text().replace("profile: ", "profile: no-such-"))
    with pytest.raises(ValidationFailed) as refused:
        _append_file(example_repo, (state, files), write)
    assert "no-such-" in " ".join(str(error) for error in refused.value.errors)
    assert (example_repo / JUNE).read_bytes() == write.original


@pytest.mark.parametrize("day", [date(2026, 6, 30), date(2027, 3, 1)], ids=["existing", "new"])
def test_a_payment_the_validation_refuses_leaves_the_ledger_as_it_was(
    example_repo: Path, day: date
) -> None:
    ledger = example_repo / f"payments/{day:%Y-%m}.yaml"
    before = ledger.read_bytes() if ledger.exists() else None
    load_state(example_repo)  # warm: the entry is checked on its own first
    with pytest.raises(ValidationFailed) as refused:
        add_entry(example_repo, None, NewEntry("budi-santoso", 1000, day, kind="writeoff"))
    assert "reason" in " ".join(str(error) for error in refused.value.errors)
    assert (ledger.read_bytes() if ledger.exists() else None) == before


def test_a_payment_leaves_the_state_cache_holding_the_new_state(example_repo: Path) -> None:
    load_state(example_repo)
    entry = NewEntry("budi-santoso", 1000, date(2026, 6, 30), method="cash")
    entry_id, _relpath, state = add_entry(example_repo, None, entry)
    cached = statecache.load(example_repo, statecache.fingerprint(example_repo))
    assert cached == state == load_state(example_repo, cache=False)
    assert any(known.id == entry_id for known in cached.ledger)


def test_replace_file_creates_a_missing_file_and_removes_it_when_refused(
    example_repo: Path,
) -> None:
    good = ("- id: P-2027-03-0001\n  customer: budi-santoso\n  amount: 1000\n"
            "  date: 2027-03-01\n  kind: payment\n  method: cash\n")  # fmt: skip
    state = replace_file(example_repo, "payments/2027-03.yaml", good)
    assert any(entry.id == "P-2027-03-0001" for entry in state.ledger)
    bad = good.replace("budi-santoso", "nobody").replace("2027-03", "2027-04")
    with pytest.raises(ValidationFailed):
        replace_file(example_repo, "payments/2027-04.yaml", bad)
    assert not (example_repo / "payments/2027-04.yaml").exists()
