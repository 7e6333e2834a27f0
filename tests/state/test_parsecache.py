"""The parse cache is harmless: whatever is planted in it, no code runs and results are
the same as without it (issue 9, deliverable 1); and it round-trips parsed data exactly."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.cli import _group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state import statecache
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.parsecache import (
    CACHE_FORMAT,
    ParseCache,
    cache_file,
    decode_entry,
    encode_entry,
)
from isk_reconcile.state.yamlsource import read_yaml

AS_OF = "2026-11-29"
READ_COMMANDS = (
    ("validate",),
    ("customers",),
    ("customers", "--status", "suspended"),
    ("customer", "show", "budi-santoso"),
    ("status", "--no-routers"),
    ("receivables",),
    ("invoices",),
)


class _Planted:
    """Unpickling this runs `touch marker` (what a hostile pull request would plant)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def isk(capsys: pytest.CaptureFixture[str], repo: Path, *argv: str) -> tuple[int, str, str]:
    code = run_cli(_group, ["--repo", str(repo), "--as-of", AS_OF, "--no-color", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def outputs(capsys: pytest.CaptureFixture[str], repo: Path) -> list[tuple[int, str, str]]:
    return [isk(capsys, repo, *argv) for argv in READ_COMMANDS]


def _hostile_files(marker: Path, valid: bytes) -> dict[str, bytes]:
    document = json.loads(valid)
    some = next(iter(document["entries"]))
    wrong_types = json.loads(valid)
    wrong_types["entries"] = {
        key: [[1, 2], ["d", 0], [["x", "1", 1, "", "", "", "error"]], ["1"]]
        for key in document["entries"]
    }
    bad_dates = json.loads(valid)
    for key, entry in bad_dates["entries"].items():
        entry[1] = [["d", "nowhere", 3], ["t"], ["x"], 5][hash(key) % 4 :] or [["d"]]
    wrong_shape = {"format": CACHE_FORMAT, "entries": [some]}
    return {
        "pickle": pickle.dumps(("isk-yaml-cache/3", _Planted(marker))),
        "garbage": os.urandom(4096),
        "truncated": valid[: len(valid) // 2],
        "empty": b"",
        "wrong types": json.dumps(wrong_types).encode(),
        "bad dates": json.dumps(bad_dates).encode(),
        "wrong shape": json.dumps(wrong_shape).encode(),
        "deep": b"[" * 200_000,
        "not a document": b"[]",
    }


def test_a_hostile_cache_runs_no_code_and_changes_no_result(
    example_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    marker = tmp_path / "code-ran"
    expected = outputs(capsys, example_repo)  # cold: parsed, then cached
    assert all(code == 0 for code, _, _ in expected), expected
    assert outputs(capsys, example_repo) == expected  # warm
    pack = cache_file(example_repo)
    validated = statecache.state_cache_file(example_repo)
    valid = pack.read_bytes()
    for name, content in _hostile_files(marker, valid).items():
        # The old in-tree location (a pull request can add it) and the cache itself.
        (example_repo / ".isk-cache").mkdir(exist_ok=True)
        (example_repo / ".isk-cache" / "yaml.pickle").write_bytes(content)
        pack.write_bytes(content)
        validated.write_bytes(content)  # and the validated-state cache next to it
        assert outputs(capsys, example_repo) == expected, name
        assert not marker.exists(), name
        # Treated as absent and rewritten: the next run is warm again.
        assert json.loads(pack.read_bytes())["format"] == CACHE_FORMAT, name
        assert json.loads(validated.read_bytes())["format"] == statecache.FORMAT, name
        assert outputs(capsys, example_repo) == expected, name


def test_pay_works_with_a_hostile_cache(
    example_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    marker = tmp_path / "code-ran"
    pack = cache_file(example_repo)
    pack.parent.mkdir(parents=True)
    pack.write_bytes(pickle.dumps(_Planted(marker)))
    statecache.state_cache_file(example_repo).write_bytes(pickle.dumps(_Planted(marker)))
    code, out, err = isk(capsys, example_repo, "pay", "budi-santoso", "150000")
    assert code == 0, err
    assert not marker.exists()
    again = load_state(example_repo, cache=False)
    assert load_state(example_repo) == again
    assert any(e.customer == "budi-santoso" and e.amount == 150000 for e in again.ledger[-3:])


def test_the_cache_lives_outside_the_repository(example_repo: Path) -> None:
    load_state(example_repo)
    assert cache_file(example_repo).is_file()
    assert not cache_file(example_repo).resolve().is_relative_to(example_repo.resolve())
    assert not list(example_repo.rglob("*cache*"))
    # Another repository (another path) has its own cache.
    assert cache_file(example_repo) != cache_file(example_repo.parent)


def _git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)


def test_a_cache_inside_the_repository_is_used_only_when_configured_and_untracked(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI (GitLab) keeps XDG_CACHE_HOME in the project directory; a committed cache there
    is a planted one, and a cache under state/ or payments/ is never read."""
    _git(example_repo, "init", "-q")
    monkeypatch.setenv("XDG_CACHE_HOME", str(example_repo / ".isk-cache"))
    assert ParseCache(example_repo).enabled
    load_state(example_repo)
    pack = cache_file(example_repo)
    assert pack.is_file() and pack.resolve().is_relative_to(example_repo.resolve())
    _git(example_repo, "add", "-f", str(pack))
    assert not ParseCache(example_repo).enabled
    # The default location can never be inside: only an explicit setting can.
    monkeypatch.setenv("XDG_CACHE_HOME", str(example_repo / "state" / "cache"))
    assert not ParseCache(example_repo).enabled
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # ignored, as XDG says
    assert not cache_file(example_repo).is_relative_to(example_repo.resolve())


def test_a_planted_cache_entry_in_the_repository_is_not_read(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(example_repo / "state" / "x"))
    cold = load_state(example_repo, cache=False)
    load_state(example_repo)
    assert not cache_file(example_repo).exists()  # neither written there
    document = {"format": CACHE_FORMAT, "entries": {}}
    for path in (example_repo / "state" / "customers").glob("*.yaml"):
        source = read_yaml(example_repo, path.relative_to(example_repo).as_posix())
        data = {**source.data, "name": "Planted"}
        digest = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
        document["entries"][digest] = encode_entry((data, (), source.item_lines))
    cache_file(example_repo).parent.mkdir(parents=True)
    cache_file(example_repo).write_text(json.dumps(document))
    assert load_state(example_repo) == cold


# --- exact round trip of parsed data -----------------------------------------------------

_PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.dates()
    # PyYAML's timestamps carry a fixed UTC offset in minutes (never a zone with rules:
    # a zone's historic offsets and gaps are not something a YAML file can express).
    | st.datetimes(
        timezones=st.none()
        | st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
_ERRORS = st.lists(
    st.builds(
        ConfigError,
        st.builds(Loc, st.text(max_size=10), st.integers(0, 99), st.integers(0, 99)),
        st.text(max_size=10),
        st.text(max_size=10),
        st.text(max_size=10),
        st.sampled_from(["error", "warning"]),
    ),
    max_size=3,
).map(tuple)


@settings(max_examples=200, deadline=None)
@given(_PLAIN, _ERRORS, st.lists(st.integers(1, 10**6), max_size=5).map(tuple))
def test_entries_round_trip_exactly_through_json(data, errors, lines) -> None:
    decoded = decode_entry(json.loads(json.dumps(encode_entry((data, errors, lines)))))
    assert decoded is not None
    assert decoded == (data, errors, lines)
    assert _types(decoded[0]) == _types(data)  # a date stays a date, not a datetime or text


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    if isinstance(value, datetime):
        return (datetime, value.utcoffset())
    return type(value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_no_cache_entry_makes_an_internal_error(raw: Any) -> None:
    entry = decode_entry(raw)
    if entry is not None:
        data, errors, lines = entry
        assert all(isinstance(error, ConfigError) for error in errors)
        assert all(type(line) is int for line in lines)


def test_dates_of_a_ledger_round_trip_through_the_cache(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text(
        "- {id: A, date: 2026-11-03, at: 2026-11-03 10:20:30.25+07:00,\n"
        "   naive: 2026-01-02 03:04:05}\n"
        "- [2026-11-03, '2026-11-03', 2026-11-04]\n"
    )
    first = ParseCache(tmp_path)
    parsed = read_yaml(tmp_path, "l.yaml", first).data
    first.save()
    again = read_yaml(tmp_path, "l.yaml", ParseCache(tmp_path)).data
    assert again == parsed
    assert again[0]["date"] == date(2026, 11, 3) and type(again[0]["date"]) is date
    assert again[0]["at"] == datetime(2026, 11, 3, 10, 20, 30, 250000, timezone(timedelta(hours=7)))
    assert again[0]["naive"].tzinfo is None
    assert again[1] == [date(2026, 11, 3), "2026-11-03", date(2026, 11, 4)]
