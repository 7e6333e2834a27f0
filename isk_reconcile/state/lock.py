"""One writer at a time: the repository lock, and the journal of unfinished writes.

Every command that writes the state repository (`isk pay`, `isk customer add`, `isk
import`, the payment receiver) holds `repository_lock(repo)` from reading the ledger to
committing, so two writers never allocate the same id, never interleave appends and
never commit each other's changes.

The lock is an `fcntl.flock` on a file inside the git directory (`.git/isk.lock`), never
in the work tree, so it is never committed; the kernel releases it when the holder dies,
however it dies. Outside git it lives in the user's cache directory, keyed by the
repository's path.

The journal (`isk-journal.json` beside the lock) records what a writer is about to
write. A writer that finishes removes it; one that is killed leaves it, and the next
writer reports those writes (`WriteLock.interrupted`) before doing anything else, so a
payment that was written but never confirmed is not silently committed by someone else
or entered twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from isk_reconcile.errors import IskError

LOCK_NAME = "isk.lock"
JOURNAL_NAME = "isk-journal.json"
WAIT_SECONDS = 120.0  # how long a writer waits for another one before giving up
_POLL = 0.02


@dataclass(frozen=True)
class UnfinishedWrite:
    """A write an earlier command recorded and never confirmed."""

    path: str  # relative to the state repository
    entry_id: str | None  # the ledger id, for ledger appends
    command: str

    def describe(self) -> str:
        what = f"{self.entry_id} in {self.path}" if self.entry_id else self.path
        return f"{what} (written by `{self.command}`, which did not finish: check it)"


@dataclass
class WriteLock:
    """The held lock; `interrupted` lists what earlier, unfinished writers left behind."""

    directory: Path
    interrupted: list[UnfinishedWrite] = field(default_factory=list)
    _records: list[dict[str, object]] = field(default_factory=list)

    @property
    def journal(self) -> Path:
        return self.directory / JOURNAL_NAME

    def record(self, path: str, entry_id: str | None = None, command: str = "isk") -> None:
        """Note a write before it happens (flushed to disk: it must survive a kill)."""
        self._records.append({"path": path, "id": entry_id, "command": command})
        temporary = self.journal.with_suffix(f".tmp-{os.getpid()}")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(self._records, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.journal)


_held = threading.local()  # per thread: lock-file path -> (WriteLock, depth)


def lock_directory(repo: Path) -> Path:
    """Where the lock lives: the git directory holding `repo`, else a per-user cache dir."""
    here = repo.resolve()
    for candidate in (here, *here.parents):
        marker = candidate / ".git"
        if marker.is_dir():
            return marker
        if marker.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = marker.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                return target if target.is_absolute() else (candidate / target).resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(here).encode()).hexdigest()[:16]
    directory = base / "isk-reconcile" / "locks" / digest
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextlib.contextmanager
def repository_lock(repo: Path, wait: float = WAIT_SECONDS) -> Iterator[WriteLock]:
    """Hold the repository's write lock (re-entrant within a thread).

    The outermost holder reads and clears the journal of earlier unfinished writes; on a
    normal exit it removes its own journal, on an exception it leaves it for the next
    writer to report."""
    directory = lock_directory(repo)
    key = str(directory / LOCK_NAME)
    held: dict[str, tuple[WriteLock, int]] = _held.__dict__.setdefault("locks", {})
    if key in held:
        handle, depth = held[key]
        held[key] = (handle, depth + 1)
        try:
            yield handle
        finally:
            held[key] = (handle, held[key][1] - 1)
        return
    descriptor = _acquire(Path(key), wait)
    handle = WriteLock(directory)
    handle.interrupted = _read_journal(handle.journal, repo)
    handle.journal.unlink(missing_ok=True)
    held[key] = (handle, 1)
    try:
        yield handle
        handle.journal.unlink(missing_ok=True)
    finally:
        del held[key]
        os.close(descriptor)  # closing the descriptor releases the flock


def _acquire(path: Path, wait: float) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise IskError(
                    f"another isk command is still writing the repository (lock {path}); "
                    "try again when it has finished"
                ) from None
            time.sleep(_POLL)


def _read_journal(journal: Path, repo: Path) -> list[UnfinishedWrite]:
    """The earlier writer's records whose writes actually reached the files."""
    try:
        records = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found: list[UnfinishedWrite] = []
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or not isinstance(record.get("path"), str):
            continue
        entry_id = record.get("id") if isinstance(record.get("id"), str) else None
        write = UnfinishedWrite(record["path"], entry_id, str(record.get("command", "isk")))
        if _landed(repo / write.path, entry_id):
            found.append(write)
    return found


def _landed(target: Path, entry_id: str | None) -> bool:
    try:
        text = target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return entry_id is None or entry_id in text
