"""The sha256 of every input file, hashing only files that changed since the last
command (issue 12): like git's index, a file whose size, modification and change times,
inode and device are what they were when its hash was taken is not read again.

Reading and hashing 10,020 files costs about 0.15 s; a `stat` of each costs a fifth of
that. The validated-state cache and the standings cache are keyed by these hashes
(statecache.fingerprint), so every command that loads the repository pays this first.

Two things make a remembered hash unsafe, and both fall back to reading the file:

- a file written within `_RACY_NS` of the moment its hash was taken: its times may not
  change on a second write in the same clock tick, so it is hashed again until it is
  older than that (git's "racy clean" entries);
- a changed file whose times were set back (`touch -d`): the change time (ctime) cannot be
  set from user space and is part of what is compared.

The index is a small JSON file beside the state cache, with the same location rules
(parsecache.usable_location). Anything in it that is not what this module writes is
ignored: the worst a damaged or planted index can do is name the wrong hash for a file,
which the caches keyed by it treat like any other key (a planted state cache is already
within reach of whoever can write that directory).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NAME = "file-index.json"
FORMAT = "isk-file-index/1"
# Two seconds: coarser than any clock tick of a filesystem isk's users run it on (FAT has
# two-second modification times).
_RACY_NS = 2_000_000_000
NO_FILE = "-"  # a directory symlink, a dangling link, an unreadable file


def hashes(
    repo: Path, top_dirs: tuple[str, ...], index: dict[str, Any] | None, *, now_ns: int = 0
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Relative path -> sha256 of every file under `top_dirs` of `repo` (NO_FILE for what
    cannot be read as a file), and the index to remember when the next command can use
    it better than `index` (the document `read` returned; None: nothing remembered, nothing
    to remember). `now_ns`: the time it is (0: the clock's)."""
    started = now_ns or time.time_ns()
    known, stamp = _entries(index)
    trusted_before = stamp - _RACY_NS
    found: dict[str, str] = {}
    remembered: dict[str, list[Any]] = {}
    learnt = False
    for relpath, path in _files(repo, top_dirs):
        try:
            status = os.stat(path)
        except OSError:
            found[relpath] = NO_FILE
            continue
        # Taken before the file is read: a write after this makes the next stat differ.
        signature = [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino,
                     status.st_dev]  # fmt: skip
        entry = known.get(relpath)
        newest = max(status.st_mtime_ns, status.st_ctime_ns)
        if newest < trusted_before and _matches(entry, signature):
            digest = entry[5]
        else:
            digest = _hash(path)
            # Worth writing the index for only when the next command can trust it (a file
            # just written, as by `isk pay`, is hashed again next time anyway).
            learnt = learnt or newest < started - _RACY_NS
        found[relpath] = digest
        if digest != NO_FILE:
            remembered[relpath] = [*signature, digest]
    if index is None or not (learnt or remembered.keys() != known.keys()):
        return found, None
    return found, {"format": FORMAT, "stamp": started, "files": remembered}


def read(file: Path) -> dict[str, Any]:
    """The index document at `file`; an empty one when there is none or it is unreadable.
    Read once per process while the file is unchanged (`isk pay` hashes twice)."""
    global _last_read
    try:
        status = os.stat(file)
        seen = (os.fspath(file), status.st_size, status.st_mtime_ns, status.st_ino)
        if _last_read is not None and _last_read[0] == seen:
            return _last_read[1]
        document = json.loads(file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict):
        return {}
    _last_read = (seen, document)
    return document


_last_read: tuple[tuple[Any, ...], dict[str, Any]] | None = None


def _entries(index: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    """The remembered entries (each checked when used: `_matches`) and the time they were
    taken; ({}, 0) for anything but an index this module wrote."""
    if not index or index.get("format") != FORMAT:
        return {}, 0
    stamp, entries = index.get("stamp"), index.get("files")
    if type(stamp) is not int or not isinstance(entries, dict):
        return {}, 0
    return entries, stamp


def _matches(entry: Any, signature: list[int]) -> bool:
    """Whether a remembered entry is well formed and has this stat signature."""
    return (
        type(entry) is list
        and len(entry) == 6
        and entry[:5] == signature
        and type(entry[5]) is str
        and len(entry[5]) == 64
    )


def _files(repo: Path, top_dirs: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(relative path, path) of every file under `top_dirs`, sorted within a directory;
    symlinked directories are listed by name, not walked."""
    base = os.fspath(repo)
    for top in top_dirs:
        for root, dirs, names in os.walk(os.path.join(base, top)):
            dirs.sort()
            relative_root = os.path.relpath(root, base).replace(os.sep, "/")
            links = [name for name in dirs if os.path.islink(os.path.join(root, name))]
            for name in sorted(names) + links:
                yield f"{relative_root}/{name}", os.path.join(root, name)


def _hash(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return NO_FILE
