"""Committing a service's own writes and pushing them to the shared branch (`isk serve`).

The service works in its own clone of the state repository. Before every write it brings
the clone up to the remote branch (`git pull --rebase`); after committing it pushes; a
push refused as non-fast-forward is retried by pulling (rebasing) again, never by
forcing. A rebase that conflicts (someone appended to the same ledger file) is aborted
and the clone reset to the remote branch: the caller then writes its entries again on
top, so nothing already pushed by others is ever lost and nothing is written twice.

Every git call has a deadline and never prompts for credentials.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from isk_reconcile.errors import IskError

GIT_DEADLINE = 60.0  # seconds for any one git command (network ones included)


class PublishError(IskError):
    """git failed; the message is git's last line (it never holds a credential we add)."""


@dataclass(frozen=True)
class Identity:
    name: str = "isk-serve"
    email: str = "isk-serve@localhost"


class Publisher:
    """One clone, one remote branch; `lock()` serialises writers across processes."""

    def __init__(
        self,
        repo: Path,
        remote: str = "origin",
        branch: str = "main",
        identity: Identity = Identity(),
        deadline: float = GIT_DEADLINE,
    ) -> None:
        self.repo = repo
        self.remote = remote
        self.branch = branch
        self.identity = identity
        self.deadline = deadline

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        environ = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",  # a missing credential fails, it never waits
            "GIT_AUTHOR_NAME": self.identity.name,
            "GIT_AUTHOR_EMAIL": self.identity.email,
            "GIT_COMMITTER_NAME": self.identity.name,
            "GIT_COMMITTER_EMAIL": self.identity.email,
        }
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.repo,
                env=environ,
                capture_output=True,
                text=True,
                timeout=self.deadline,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise PublishError(f"git {args[0]} did not finish within {self.deadline:g}s") from None
        if check and done.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {_last_line(done)}")
        return done

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock on the clone (a file in its git directory) for one write."""
        git_dir = Path(self.git("rev-parse", "--absolute-git-dir").stdout.strip())
        with open(git_dir / "isk-publish.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def sync(self) -> None:
        """Bring the clone up to the remote branch, keeping local commits on top (rebase);
        when they conflict, drop them (the caller writes its entries again)."""
        pulled = self.git("pull", "--rebase", "--quiet", self.remote, self.branch, check=False)
        if pulled.returncode != 0:
            self.git("rebase", "--abort", check=False)
            self.reset()

    def reset(self) -> None:
        """Make the clone exactly the remote branch (after a failed rebase or invalid result)."""
        self.git("fetch", "--quiet", self.remote, self.branch)
        self.git("reset", "--quiet", "--hard", "FETCH_HEAD")

    def commit(self, paths: Sequence[str], message: str) -> str:
        self.git("add", "--", *paths)
        self.git("commit", "--quiet", "-m", message, "--", *paths)
        return self.git("rev-parse", "HEAD").stdout.strip()

    def ahead(self) -> bool:
        """Whether the clone has commits the remote branch does not (unpushed work)."""
        counted = self.git("rev-list", "--count", f"{self.remote}/{self.branch}..HEAD", check=False)
        return counted.returncode != 0 or counted.stdout.strip() != "0"

    def push(self) -> bool:
        """Push HEAD to the remote branch; False when refused as non-fast-forward."""
        pushed = self.git("push", "--quiet", self.remote, f"HEAD:{self.branch}", check=False)
        if pushed.returncode == 0:
            self.git("fetch", "--quiet", self.remote, self.branch, check=False)
            return True
        text = pushed.stderr
        if "non-fast-forward" in text or "fetch first" in text or "rejected" in text:
            return False
        raise PublishError(f"git push failed: {_last_line(pushed)}")


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else f"exit code {done.returncode}"
