"""`isk history` for auditors: true commit order, the ISP's time zone, YAML spelling,
ledger entries in id order — on a real git repository."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import git
import pytest

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.gitops.history import timeline
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import NewEntry, add_entry

AS_OF = date(2026, 11, 29)
ARIF = "state/customers/arif-rahman.yaml"


@pytest.fixture
def repo(example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Rina Admin")
        config.set_value("user", "email", "rina@isk.example")
    _commit(handle, monkeypatch, "2026-10-01T10:00:00+07:00", "initial state")
    return example_repo


def _commit(handle: git.Repo, monkeypatch: pytest.MonkeyPatch, when: str, message: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", message)


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / ARIF
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_commits_keep_their_true_order_when_clocks_disagree(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = git.Repo(repo)
    _edit(repo, "name: Arif Rahman", "name: Arif R.")
    _commit(handle, monkeypatch, "2026-10-05T10:00:00+07:00", "first rename")
    _edit(repo, "name: Arif R.", "name: Arif Rahman Hakim")
    # a laptop with a wrong clock: the child commit claims to be older than its parent
    _commit(handle, monkeypatch, "2026-10-03T10:00:00+07:00", "second rename")
    events = [e for e in timeline(repo, load_state(repo), "arif-rahman", AS_OF) if e.commit]
    subjects = [e.commit.subject for e in events if e.kind != "ledger"]
    assert subjects == ["initial state", "first rename", "second rename"]
    names = [str(c) for e in events for c in e.changes if c.field == "name" and e.kind == "changed"]
    assert names == ["name: Arif Rahman → Arif R.", "name: Arif R. → Arif Rahman Hakim"]


def test_times_are_in_the_isps_time_zone(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = git.Repo(repo)
    _edit(repo, "name: Arif Rahman", "name: Arif R.")
    # 22:30 UTC on Oct 5 is 05:30 on Oct 6 in Kudus (Asia/Jakarta, UTC+7)
    _commit(handle, monkeypatch, "2026-10-05T22:30:00+00:00", "late-night edit")
    (event,) = [
        e
        for e in timeline(repo, load_state(repo), "arif-rahman", AS_OF)
        if e.commit and e.commit.subject == "late-night edit"
    ]
    assert event.day == date(2026, 10, 6)
    assert event.commit.when.utcoffset() == timedelta(hours=7)
    assert (
        run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-29", "history", "arif-rahman"]) == 0
    )
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "late-night edit" in line]
    assert line.startswith("2026-10-06") and "2026-10-06 05:30 WIB" in line
    utc = timeline(repo, load_state(repo), "arif-rahman", AS_OF, timezone="UTC")
    assert [e.day for e in utc if e.commit and e.commit.subject == "late-night edit"] == [
        date(2026, 10, 5)
    ]


def test_values_are_spelled_as_yaml(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(repo, "status: active", "status: active\nprotect: true\nadopt: false")
    _commit(git.Repo(repo), monkeypatch, "2026-10-05T10:00:00+07:00", "protect arif")
    assert (
        run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-29", "history", "arif-rahman"]) == 0
    )
    out = capsys.readouterr().out
    assert "protect: true (added)" in out and "adopt: false (added)" in out
    assert "True" not in out and "False" not in out


def test_ledger_entries_of_one_day_are_in_id_order(repo: Path) -> None:
    state = load_state(repo)
    day = date(2026, 11, 28)
    ids = []
    for kind, amount, method in (("payment", 10_000, "cash"), ("credit", 5_000, None)):
        entry = NewEntry(customer="arif-rahman", amount=amount, date=day, kind=kind, method=method)
        entry_id, _, state = add_entry(repo, state, entry)
        ids.append(entry_id)
    events = [e for e in timeline(repo, state, "arif-rahman", AS_OF) if e.kind == "ledger"]
    same_day = [e.entry for e in events if e.day == day]
    assert same_day == ids  # "payment P-…-n" before "credit P-…-n+1", not alphabetical
    everything = [e.day for e in events]
    assert everything == sorted(everything)
