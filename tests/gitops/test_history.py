"""history: committing the tool's writes, and customer timelines from a real git repo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import git
import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.gitops.history import FieldChange, commit_files, field_changes, timeline
from isk_reconcile.state.loader import load_state
from tests.helpers.isp import customer, write_repo

AS_OF = date(2026, 11, 29)


@pytest.fixture
def no_global_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(variable, raising=False)


def _as(handle: git.Repo, name: str, monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    with handle.config_writer() as config:
        config.set_value("user", "name", name)
        config.set_value("user", "email", f"{name.split()[0].lower()}@isk.example")
    monkeypatch.setenv("GIT_AUTHOR_DATE", f"{when}T10:00:00+07:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{when}T10:00:00+07:00")


@pytest.fixture
def repo(example_repo: Path, no_global_git: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    handle = git.Repo.init(example_repo, initial_branch="main")
    _as(handle, "Rina Admin", monkeypatch, "2026-10-01")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "initial state")
    return example_repo


def test_field_changes_are_dotted_and_hide_passwords() -> None:
    before = {"name": "Budi", "profile": "home-10m", "pppoe": {"password": "age:AAA"}}
    after = {
        "name": "Budi",
        "profile": [{"from": date(2026, 1, 1), "value": "home-10m"}],
        "pppoe": {"password": "age:BBB", "remote_address": "10.0.0.9"},
    }
    changes = {change.field: change for change in field_changes(before, after)}
    assert set(changes) == {"profile", "pppoe.password", "pppoe.remote_address"}
    assert str(changes["pppoe.password"]) == "pppoe.password: (changed)"
    shown = str(changes["pppoe.password"]) + repr(changes["pppoe.password"])
    assert "AAA" not in shown and "BBB" not in shown
    assert str(changes["profile"]) == "profile: home-10m → [{from: 2026-01-01, value: home-10m}]"
    assert str(changes["pppoe.remote_address"]) == "pppoe.remote_address: 10.0.0.9 (added)"
    assert str(FieldChange("pppoe.password", None, "age:x")) == "pppoe.password: (set)"


def test_commit_files_commits_only_the_given_path(repo: Path, monkeypatch) -> None:
    handle = git.Repo(repo)
    other = repo / "state" / "customers" / "budi-santoso.yaml"
    other.write_text(other.read_text() + "# staged, not ours\n")
    handle.git.add(str(other))
    (repo / "payments" / "2027-01.yaml").write_text("- id: X\n")
    _as(handle, "Dewi Kasir", monkeypatch, "2026-11-02")
    sha = commit_files(repo, ["payments/2027-01.yaml"], "payment: X")
    head = handle.head.commit
    assert head.hexsha.startswith(sha)
    assert (head.author.name, head.message.strip()) == ("Dewi Kasir", "payment: X")
    assert list(head.stats.files) == ["payments/2027-01.yaml"]
    assert "state/customers/budi-santoso.yaml" in handle.git.diff("--cached", "--name-only")


def test_commit_without_identity_is_refused(repo: Path) -> None:
    handle = git.Repo(repo)
    with handle.config_writer() as config:
        config.remove_section("user")
    (repo / "payments" / "2027-01.yaml").write_text("- id: X\n")
    with pytest.raises(IskError, match="git user.name is not set"):
        commit_files(repo, ["payments/2027-01.yaml"], "payment: X")


def test_commit_outside_git_is_refused(example_repo: Path) -> None:
    with pytest.raises(IskError, match="not inside a git repository"):
        commit_files(example_repo, ["payments/2026-06.yaml"], "x")


def test_timeline_follows_renames(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = git.Repo(repo)
    _as(handle, "Andi Admin", monkeypatch, "2026-11-03")
    path = repo / "state/customers/budi-santoso.yaml"
    path.write_text(path.read_text().replace("notes: ODP-03 port 4", "notes: ODP-03 port 7"))
    handle.git.commit("-q", "-am", "budi: moved to port 7")
    _as(handle, "Rina Admin", monkeypatch, "2026-11-10")
    handle.git.mv("state/customers/budi-santoso.yaml", "state/customers/budi.yaml")
    for ledger in (repo / "payments").glob("*.yaml"):
        ledger.write_text(
            ledger.read_text().replace("customer: budi-santoso\n", "customer: budi\n")
        )
    handle.git.commit("-q", "-am", "rename budi-santoso to budi")

    events = timeline(repo, load_state(repo, cache=False), "budi", AS_OF)
    files = [event for event in events if event.kind in ("created", "changed", "renamed")]
    assert [(e.kind, e.commit.author) for e in files] == [
        ("created", "Rina Admin"),
        ("changed", "Andi Admin"),
        ("renamed", "Rina Admin"),
    ]
    assert [str(c) for c in files[1].changes] == ["notes: ODP-03 port 4 → ODP-03 port 7"]
    assert files[2].summary == (
        "renamed state/customers/budi-santoso.yaml → state/customers/budi.yaml"
    )
    ledger = [event for event in events if event.kind == "ledger"]
    assert ledger and all(e.commit and e.commit.subject == "initial state" for e in ledger)


def test_uncommitted_entry_is_marked(repo: Path) -> None:
    ledger = repo / "payments" / "2026-11.yaml"
    ledger.write_text(
        ledger.read_text()
        + "- id: P-2026-11-0999\n  customer: budi-santoso\n  amount: 1000\n"
        + "  date: 2026-11-28\n  kind: credit\n"
    )
    events = timeline(repo, load_state(repo, cache=False), "budi-santoso", AS_OF)
    mine = next(e for e in events if "P-2026-11-0999" in e.summary)
    assert mine.commit is None and "not committed yet" in mine.summary


def test_standing_transitions_of_an_overdue_customer(repo: Path) -> None:
    events = timeline(repo, load_state(repo), "agus-prasetyo", AS_OF)
    standing = [(e.day, e.summary.split()[0]) for e in events if e.kind == "standing"]
    assert standing[0] == (date(2026, 2, 10), "enabled")
    assert standing[-1] == (date(2026, 11, 14), "suspended")


def test_unknown_customer(repo: Path) -> None:
    with pytest.raises(IskError, match="unknown customer 'nobody'"):
        timeline(repo, load_state(repo), "nobody", AS_OF)


def test_merges_do_not_show_as_changes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = git.Repo(repo)
    path = repo / "state/customers/budi-santoso.yaml"
    _as(handle, "Andi Admin", monkeypatch, "2026-11-03")
    handle.git.checkout("-q", "-b", "notes")
    path.write_text(path.read_text().replace("ODP-03 port 4", "ODP-03 port 5"))
    handle.git.commit("-q", "-am", "budi: port 5")
    handle.git.checkout("-q", "main")
    _as(handle, "Rina Admin", monkeypatch, "2026-11-04")
    path.write_text(path.read_text().replace("Jl. Mawar 12", "Jl. Mawar 14"))
    handle.git.commit("-q", "-am", "budi: new address")
    handle.git.merge("-q", "--no-ff", "notes", "-m", "Merge notes")

    events = timeline(repo, load_state(repo, cache=False), "budi-santoso", AS_OF)
    changed = [
        (e.commit.subject, [c.field for c in e.changes]) for e in events if e.kind == "changed"
    ]
    assert sorted(changed) == [("budi: new address", ["address"]), ("budi: port 5", ["notes"])]


def test_pay_commit_without_identity_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
    from isk_reconcile.cli.context import run_cli
    from isk_reconcile.cli.root import main as isk

    handle = git.Repo(repo)
    with handle.config_writer() as config:
        config.remove_section("user")
    ledger = repo / "payments" / "2026-11.yaml"
    before = ledger.read_bytes()
    args = ["--repo", str(repo), "--as-of", "2026-11-29", "pay", "budi-santoso", "150000"]
    assert run_cli(isk, [*args, "--commit"]) == 1
    assert "git user.name is not set" in capsys.readouterr().err
    assert ledger.read_bytes() == before


# --- head_commit ---------------------------------------------------------------------------


def test_head_commit_is_the_state_repos_own(tmp_path: Path) -> None:
    import git

    from isk_reconcile.gitops.history import head_commit

    outer = git.Repo.init(tmp_path)
    assert head_commit(write_repo(tmp_path / "early", {"a": customer("A")})) is None  # no commit
    (tmp_path / "README").write_text("unrelated\n")
    outer.index.add(["README"])
    outer.index.commit("unrelated project")
    inner = write_repo(tmp_path / "isp", {"a": customer("A")})
    assert head_commit(inner) is None  # the parent repository does not track it
    outer.index.add(["isp/state/routers.yaml"])
    sha = outer.index.commit("track the ISP").hexsha
    assert head_commit(inner) == sha
    assert head_commit(tmp_path / "nowhere") is None
