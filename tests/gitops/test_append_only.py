"""`isk validate --base`: every field of a merged ledger entry is append-only, and a
customer file may go only when the customer owes nothing (SPEC §2, §6).

Run against a real git repository of the example ISP, with a valid base and with a base
that fails validation (then only the raw ledger can be compared, and it still must be).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import git
import pytest

from isk_reconcile.billing.engine import standing
from isk_reconcile.gitops.guards import check, compare
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import Settings

AS_OF = date(2026, 11, 29)
LEDGER = Path("payments") / "2026-06.yaml"
ENTRY = "P-2026-06-0002"
ENTRY_TEXT = (
    "- id: P-2026-06-0002\n  customer: sri-mulyani\n  amount: 150000\n  date: 2026-06-01\n"
    "  kind: payment\n  method: transfer\n  reference: BNI 0106-06\n"
)
# One edit per field of a ledger entry (and the removal of an optional one).
FIELD_EDITS = {
    "customer": ("customer: sri-mulyani", "customer: budi-santoso"),
    "amount": ("amount: 150000", "amount: 150001"),
    "date": ("date: 2026-06-01", "date: 2026-06-02"),
    "kind": ("kind: payment", "kind: refund"),
    "method": ("method: transfer", "method: cash"),
    "reference": ("reference: BNI 0106-06", "reference: BNI 0106-07"),
    "reference removed": ("  reference: BNI 0106-06\n", ""),
    "note": ("reference: BNI 0106-06\n", "reference: BNI 0106-06\n  note: typo fixed\n"),
}


def commit_all(repo: Path, message: str) -> None:
    handle = git.Repo(repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", message)


@pytest.fixture
def repo(example_repo: Path) -> Path:
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Admin Satu")
        config.set_value("user", "email", "admin1@isk.example")
    commit_all(example_repo, "initial state")
    return example_repo


@pytest.fixture(params=["valid base", "invalid base"])
def base(request: pytest.FixtureRequest, repo: Path) -> str:
    """The base commit `main`: as merged, or broken on main (an unknown key) and fixed in
    the work tree, so the guard can only read the base's raw ledger."""
    if request.param == "invalid base":
        customer = repo / "state" / "customers" / "budi-santoso.yaml"
        fixed = customer.read_text()
        customer.write_text(fixed + "colour: blue\n")
        commit_all(repo, "broken on main")
        customer.write_text(fixed)
    return request.param


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def errors_of(repo: Path) -> list:
    found = check(repo, "main", load_state(repo, cache=False), AS_OF)
    return [problem for problem in found if problem.severity == "error"]


def test_the_unedited_tree_passes(repo: Path, base: str) -> None:
    assert errors_of(repo) == []


@pytest.mark.parametrize("edit", sorted(FIELD_EDITS))
def test_editing_any_field_of_a_merged_entry_is_refused(repo: Path, base: str, edit: str) -> None:
    entry = repo / LEDGER
    text = entry.read_text()
    assert ENTRY_TEXT in text
    old, new = FIELD_EDITS[edit]
    edited = ENTRY_TEXT.replace(old, new)
    assert edited != ENTRY_TEXT
    entry.write_text(text.replace(ENTRY_TEXT, edited))
    errors = errors_of(repo)
    assert [(e.field, e.loc.file) for e in errors] == [(ENTRY, LEDGER.as_posix())]
    assert "edited" in errors[0].message and "append-only" in errors[0].hint
    field = edit.split()[0]
    assert f"{field}: " in errors[0].message


def test_deleting_a_merged_entry_is_refused(repo: Path, base: str) -> None:
    replace_in(repo / LEDGER, ENTRY_TEXT, "")
    errors = errors_of(repo)
    assert [(e.field, e.loc.file) for e in errors] == [(ENTRY, LEDGER.as_posix())]
    assert "deleted" in errors[0].message and "main" in errors[0].message
    if base == "valid base":  # where the entry was written in the base
        assert str(errors[0].loc) == "payments/2026-06.yaml:10:1"


def test_deleting_a_whole_ledger_file_is_refused(repo: Path, base: str) -> None:
    merged = load_state(repo, cache=False)
    in_file = sorted(e.id for e in merged.ledger if e.id.startswith("P-2026-06-"))
    (repo / LEDGER).unlink()
    errors = errors_of(repo)
    assert sorted(e.field for e in errors) == in_file
    assert all("deleted" in e.message for e in errors)


def test_appending_a_new_entry_passes(repo: Path, base: str) -> None:
    (repo / LEDGER).write_text(
        (repo / LEDGER).read_text()
        + "- id: P-2026-06-9999\n  customer: sri-mulyani\n  amount: 1000\n"
        + "  date: 2026-06-30\n  kind: credit\n"
    )
    assert errors_of(repo) == []


# --- deleting a customer file: exactly zero may go, Rp1 owed may not -------------------------


def _settled_by(state, customer: str, amount: int):
    entry = LedgerEntry(id="Z-SETTLE", customer=customer, amount=amount, date=AS_OF, kind="credit")
    return dataclasses.replace(state, ledger=(*state.ledger, entry))


def _without(state, customer: str):
    return dataclasses.replace(
        state, customers={k: v for k, v in state.customers.items() if k != customer}
    )


OWING = "agus-prasetyo"


def test_a_customer_with_exactly_zero_balance_may_be_deleted(repo: Path) -> None:
    state = load_state(repo, cache=False)
    owed = -standing(state, OWING, AS_OF).balance
    assert owed > 0  # the example customer owes money on the demo date
    settled = _settled_by(state, OWING, owed)
    assert standing(settled, OWING, AS_OF).balance == 0
    assert [e for e in compare(settled, _without(settled, OWING), AS_OF) if e.field == OWING] == []


def test_a_customer_owing_one_rupiah_may_not_be_deleted(repo: Path) -> None:
    state = load_state(repo, cache=False)
    owed = -standing(state, OWING, AS_OF).balance
    almost = _settled_by(state, OWING, owed - 1)
    assert standing(almost, OWING, AS_OF).balance == -1
    errors = [e for e in compare(almost, _without(almost, OWING), AS_OF) if e.field == OWING]
    assert len(errors) == 1
    assert "(Rp1 unpaid)" in errors[0].message and "debt Rp1 → Rp0" in errors[0].message


def test_a_customer_in_credit_may_be_deleted(repo: Path) -> None:
    state = load_state(repo, cache=False)
    owed = -standing(state, OWING, AS_OF).balance
    ahead = _settled_by(state, OWING, owed + 1)
    assert standing(ahead, OWING, AS_OF).balance == 1
    assert [e for e in compare(ahead, _without(ahead, OWING), AS_OF) if e.field == OWING] == []


def test_the_balance_is_taken_on_the_as_of_date(repo: Path) -> None:
    """A settlement dated after the check's date does not count yet."""
    state = load_state(repo, cache=False)
    owed = -standing(state, OWING, AS_OF).balance
    late = LedgerEntry(
        id="Z-LATE", customer=OWING, amount=owed, date=AS_OF + timedelta(days=1), kind="credit"
    )
    later = dataclasses.replace(state, ledger=(*state.ledger, late))
    errors = [e for e in compare(later, _without(later, OWING), AS_OF) if e.field == OWING]
    assert len(errors) == 1


# --- where a billed-period error points, and the date its hint suggests ---------------------


def test_a_moved_start_points_at_the_start_line(repo: Path) -> None:
    replace_in(repo / "state/customers/budi-santoso.yaml", "start: 2025-12-05", "start: 2026-01-05")
    (error,) = errors_of(repo)
    assert (str(error.loc), error.field) == ("state/customers/budi-santoso.yaml:8:1", "start")


def test_changed_billing_settings_point_at_the_billing_line(repo: Path) -> None:
    replace_in(repo / "state/settings.yaml", "cycle: monthly ", "cycle: 30d ")
    errors = errors_of(repo)
    # two rules fire (billed periods repriced; debt of started periods erased), both here
    assert {(str(e.loc), e.field) for e in errors} == {("state/settings.yaml:5:1", "billing")}
    assert any("billing settings change already-billed periods" in e.message for e in errors)


def test_the_hint_never_suggests_a_period_that_already_started(repo: Path) -> None:
    """Checked on the very day budi's period starts (the 5th): the next start is a month on."""
    replace_in(repo / "state/customers/budi-santoso.yaml", "profile: home-10m", "profile: home-20m")
    found = check(repo, "main", load_state(repo, cache=False), date(2026, 11, 5))
    (error,) = [e for e in found if e.severity == "error"]
    assert "{from: 2026-12-05, value: ...}" in error.hint


def test_the_hint_for_a_customer_ending_soon_is_the_next_day(repo: Path) -> None:
    """No period of a terminated customer starts after the end: the hint falls back to
    the day after the check's date."""
    path = repo / "state/customers/budi-santoso.yaml"
    replace_in(path, "status: active", "status: terminated\nend: 2026-11-30")
    commit_all(repo, "budi leaves")
    replace_in(path, "profile: home-10m", "profile: home-20m")
    (error,) = errors_of(repo)
    assert error.field == "profile"
    assert "{from: 2026-11-30, value: ...}" in error.hint


def test_a_deletion_says_how_to_correct_instead(repo: Path, base: str) -> None:
    replace_in(repo / LEDGER, ENTRY_TEXT, "")
    (error,) = errors_of(repo)
    assert error.hint == "the ledger is append-only: add a refund or credit entry instead"


def test_an_entry_edited_in_two_fields_names_both(repo: Path, base: str) -> None:
    edited = ENTRY_TEXT.replace("amount: 150000", "amount: 150001").replace(
        "method: transfer", "method: cash"
    )
    replace_in(repo / LEDGER, ENTRY_TEXT, edited)
    (error,) = errors_of(repo)
    assert "amount: 150000 → 150001, method: transfer → cash" in error.message


def test_entries_without_a_recorded_location_are_reported_at_the_payments_folder() -> None:
    """States built in code (no files behind them) still get a location."""
    entry = LedgerEntry(id="P-1", customer="budi", amount=1000, date=AS_OF, kind="credit")
    empty = State(settings=Settings(), routers={}, profiles={}, customers={}, ledger=())
    base = dataclasses.replace(empty, ledger=(entry,))
    (error,) = compare(base, empty, AS_OF)
    assert (error.loc.file, error.field) == ("payments", "P-1")
    assert "append-only" in error.hint
