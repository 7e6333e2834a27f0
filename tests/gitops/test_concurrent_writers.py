"""Writers serialise: concurrent `isk pay --commit` processes on one real git repository,
and a writer killed mid-command is reported by the next one, never swept into its commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import git
import pytest

from isk_reconcile.gitops.commits import committed_text
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.lock import lock_directory

WRITERS = 20
AS_OF = "2026-11-29"


@pytest.fixture
def git_repo(example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Dewi Kasir")
        config.set_value("user", "email", "dewi@isk.example")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "initial state")
    return example_repo


def _isk(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), "--as-of", AS_OF, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _new_ids(repo: Path, before: set[str]) -> list[str]:
    return [entry.id for entry in load_state(repo).ledger if entry.id not in before]


def test_concurrent_pay_commit_keeps_every_payment(git_repo: Path) -> None:
    before = {entry.id for entry in load_state(git_repo).ledger}
    head = git.Repo(git_repo).head.commit.hexsha
    customers = sorted(load_state(git_repo).customers)[:WRITERS]
    runs = [
        _isk(git_repo, "pay", customers[i % len(customers)], str(100000 + i), "--commit")
        for i in range(WRITERS)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    failures = [
        (run.returncode, err) for run, (_, err) in zip(runs, outputs, strict=True) if run.returncode
    ]
    assert failures == []
    new = _new_ids(git_repo, before)
    assert len(new) == WRITERS and len(set(new)) == WRITERS
    amounts = sorted(e.amount for e in load_state(git_repo).ledger if e.id in set(new))
    assert amounts == [100000 + i for i in range(WRITERS)]
    handle = git.Repo(git_repo)
    commits = list(handle.iter_commits(f"{head}..HEAD"))
    assert len(commits) == WRITERS
    # Each commit adds exactly its own entry, under its own message.
    for commit in commits:
        entry_id = commit.message.split()[1]
        added = handle.git.diff(f"{commit.hexsha}^", commit.hexsha, "--unified=0")
        assert [line for line in added.splitlines() if line.startswith("+- id:")] == [
            f"+- id: {entry_id}"
        ]
    assert handle.git.status("--porcelain", "--", "state", "payments") == ""
    # The lock file is in the git directory, never in the work tree.
    assert (lock_directory(git_repo) / "isk.lock").is_file()
    assert lock_directory(git_repo) == git_repo / ".git"


KILLED_WRITER = """
import os, signal, sys
from datetime import date
from pathlib import Path
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import NewEntry, add_entry, repository_lock
repo = Path(sys.argv[1])
with repository_lock(repo):
    entry = NewEntry("agus-prasetyo", 150000, date(2026, 11, 29), method="cash")
    entry_id, relpath, _ = add_entry(repo, load_state(repo), entry)
    print(entry_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # dies holding the lock, before any commit
"""


def test_killed_writer_is_listed_and_never_swept(git_repo: Path) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(git_repo)], capture_output=True, text=True
    )
    assert killed.returncode == -9
    lost_id = killed.stdout.strip()
    assert lost_id.startswith("P-2026-11-")
    run = _isk(git_repo, "pay", "agus-prasetyo", "50000", "--commit")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    first = err.splitlines()[0]
    assert first.startswith("warning: unfinished earlier write:") and lost_id in first
    mine = out.split()[1]
    assert mine != lost_id
    committed = committed_text(git_repo, "payments/2026-11.yaml") or ""
    assert f"id: {mine}" in committed and f"id: {lost_id}" not in committed
    # The interrupted entry is still in the work tree, uncommitted, for a person to decide.
    handle = git.Repo(git_repo)
    assert f"+- id: {lost_id}" in handle.git.diff("HEAD", "--", "payments/2026-11.yaml")
    # Reported once: the writer after that sees nothing unfinished.
    again = _isk(git_repo, "pay", "agus-prasetyo", "1000")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "unfinished" not in err


def test_lock_outside_git_is_outside_the_work_tree(
    example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = lock_directory(example_repo)
    assert not directory.is_relative_to(example_repo)
    assert directory.is_relative_to(tmp_path / "cache")


def test_lock_is_reentrant_and_exclusive_between_processes(git_repo: Path) -> None:
    from isk_reconcile.errors import IskError
    from isk_reconcile.state.writer import repository_lock

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from pathlib import Path;"
            "from isk_reconcile.state.writer import repository_lock;"
            "lock = repository_lock(Path(sys.argv[1])); lock.__enter__();"
            "print('held', flush=True); time.sleep(60)",
            str(git_repo),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(IskError, match="another isk command is still writing"),
            repository_lock(git_repo, wait=0.3),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with repository_lock(git_repo, wait=5), repository_lock(git_repo, wait=0):
        pass  # the holder's death released it; nesting in one thread does not block
    assert os.listdir(git_repo / ".git").count("isk-journal.json") == 0
