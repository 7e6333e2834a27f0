"""The file index (issue 12): the hashes of the input files, reading only those whose
size, times, inode or device changed since they were hashed; a file written too recently
to be told apart by its times, or whose times were set back, is read again."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from isk_reconcile.state import fileindex, statecache

TOPS = ("state", "payments")
FORGED = "f" * 64  # a hash no file here has: returned only when the file was not read


def tree(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "state/customers").mkdir(parents=True)
    (repo / "payments").mkdir()
    (repo / "state/settings.yaml").write_text("isp:\n  name: x\n")
    (repo / "state/customers/c1.yaml").write_text("name: Ani\n")
    (repo / "payments/2026-11.yaml").write_text("- id: P-1\n")
    return repo


def read_every_file(repo: Path) -> dict[str, str]:
    return {
        path.relative_to(repo).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for top in TOPS
        for path in sorted((repo / top).rglob("*"))
        if path.is_file()
    }


def forged(index: dict[str, Any], relpath: str, *, stamp_ahead_s: float) -> dict[str, Any]:
    """`index` claiming FORGED for `relpath`, taken `stamp_ahead_s` after now (far enough
    ahead, every file is old enough to be trusted by its times)."""
    files = {path: list(entry) for path, entry in index["files"].items()}
    files[relpath][5] = FORGED
    return {**index, "files": files, "stamp": time.time_ns() + int(stamp_ahead_s * 1e9)}


def test_the_hashes_are_those_of_the_files_with_or_without_an_index(tmp_path: Path) -> None:
    repo = tree(tmp_path)
    found, index = fileindex.hashes(repo, TOPS, {})
    assert found == read_every_file(repo)
    assert index is not None and set(index["files"]) == set(found)
    again, _ = fileindex.hashes(repo, TOPS, index)
    assert again == found
    assert fileindex.hashes(repo, TOPS, None) == (found, None)  # no index: nothing to keep


def test_a_file_whose_times_are_unchanged_is_not_read_again(tmp_path: Path) -> None:
    repo = tree(tmp_path)
    _, index = fileindex.hashes(repo, TOPS, {})
    assert index is not None
    planted = forged(index, "state/customers/c1.yaml", stamp_ahead_s=10)
    found, _ = fileindex.hashes(repo, TOPS, planted)
    assert found["state/customers/c1.yaml"] == FORGED  # taken from the index, not the file


def test_a_file_hashed_in_the_same_moment_it_was_written_is_read_again(tmp_path: Path) -> None:
    repo = tree(tmp_path)
    _, index = fileindex.hashes(repo, TOPS, {})
    assert index is not None
    # Taken now: the file was written less than the racy interval before.
    found, _ = fileindex.hashes(
        repo, TOPS, forged(index, "state/customers/c1.yaml", stamp_ahead_s=0)
    )
    assert found["state/customers/c1.yaml"] == read_every_file(repo)["state/customers/c1.yaml"]


@pytest.mark.parametrize("change", ["same size, times set back", "grown", "replaced"])
def test_a_changed_file_is_read_again(tmp_path: Path, change: str) -> None:
    repo = tree(tmp_path)
    target = repo / "state/customers/c1.yaml"
    _, index = fileindex.hashes(repo, TOPS, {})
    assert index is not None
    planted = forged(index, "state/customers/c1.yaml", stamp_ahead_s=10)
    before = target.stat()
    if change == "same size, times set back":
        target.write_text("name: Ana\n")
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves
    elif change == "grown":
        target.write_text("name: Anita\n")
    else:
        replacement = repo / "state/customers/new.tmp"
        replacement.write_text("name: Ani\n")  # the same bytes, another inode
        os.replace(replacement, target)
    found, remember = fileindex.hashes(repo, TOPS, planted)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert found["state/customers/c1.yaml"] == digest
    # Just written: hashed again next time, so not worth writing the index for ...
    assert remember is None
    # ... until it is older than the racy interval: then its new hash is remembered.
    later = time.time_ns() + 3_000_000_000
    found, remember = fileindex.hashes(repo, TOPS, planted, now_ns=later)
    assert found["state/customers/c1.yaml"] == digest
    assert remember is not None and remember["files"]["state/customers/c1.yaml"][5] == digest
    assert fileindex.hashes(repo, TOPS, remember, now_ns=later + 1)[1] is None  # all known


def test_new_and_removed_files_are_seen(tmp_path: Path) -> None:
    repo = tree(tmp_path)
    _, index = fileindex.hashes(repo, TOPS, {})
    (repo / "payments/2026-11.yaml").unlink()
    (repo / "payments/2026-12.yml").write_text("- id: P-2\n")
    found, remember = fileindex.hashes(repo, TOPS, index)
    assert found == read_every_file(repo)
    assert remember is not None and set(remember["files"]) == set(found)


@pytest.mark.parametrize(
    "index",
    [
        {"format": "isk-file-index/0", "stamp": 0, "files": {}},
        {"format": fileindex.FORMAT, "stamp": "later", "files": {}},
        {"format": fileindex.FORMAT, "stamp": 1, "files": []},
        {"format": fileindex.FORMAT, "stamp": 1, "files": {"state/settings.yaml": [1, 2]}},
        {"format": fileindex.FORMAT, "stamp": 1, "files": {"state/settings.yaml": "x"}},
        {"format": fileindex.FORMAT, "stamp": 1, "files": {"a": [1, 2, 3, 4, 5.0, FORGED]}},
    ],
)
def test_an_index_not_written_by_isk_is_ignored(tmp_path: Path, index: dict[str, Any]) -> None:
    repo = tree(tmp_path)
    found, _ = fileindex.hashes(repo, TOPS, index)
    assert found == read_every_file(repo)


def test_the_fingerprint_keeps_its_index_beside_the_state_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = tree(tmp_path)
    index_file = statecache.state_cache_file(repo).with_name(fileindex.NAME)
    assert statecache.fingerprint(repo) == read_every_file(repo)
    written = json.loads(index_file.read_text())
    assert written["format"] == fileindex.FORMAT
    assert set(written["files"]) == set(read_every_file(repo))
    index_file.write_text("{not json")  # damaged: ignored and written again
    assert statecache.fingerprint(repo) == read_every_file(repo)
    assert json.loads(index_file.read_text())["format"] == fileindex.FORMAT


def test_an_edit_in_the_same_clock_tick_as_the_last_command_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the racy rule is for: a command, then an edit of the same size with the
    times put back, at once; the next command must see it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = tree(tmp_path)
    target = repo / "state/customers/c1.yaml"
    before = target.stat()
    statecache.fingerprint(repo)
    target.write_text("name: Ana\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert statecache.fingerprint(repo) == read_every_file(repo)
