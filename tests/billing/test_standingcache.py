"""The standings cache (issue 12): the standings of exactly these files on this day, as
the engine computes them; anything else (another file, another day, a damaged or
planted cache) is a miss and the standings are computed again, never an error."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import git
import pytest

from isk_reconcile.billing import standingcache
from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.state.loader import load_state_and_files
from isk_reconcile.state.model import State

AS_OF = date(2026, 11, 29)


def _load(repo: Path) -> tuple[State, dict[str, str]]:
    state, files = load_state_and_files(repo)
    assert files is not None
    return state, files


def _same(found: dict[str, Standing] | object, expected: object) -> None:
    """Equal standing by standing, invoices included (made from the State on demand)."""
    assert dict(found) == dict(expected)  # type: ignore[call-overload]


def test_cached_standings_are_the_computed_ones(example_repo: Path) -> None:
    state, files = _load(example_repo)
    computed = standings(state, AS_OF)
    assert standingcache.cached_standings(example_repo, state, AS_OF, files) == computed
    assert standingcache.cache_file(example_repo).is_file()
    state, files = _load(example_repo)  # a new command: from the state cache
    cached = standingcache.cached_standings(example_repo, state, AS_OF, files)
    assert not any(type(one.invoices).__name__ == "tuple" for one in cached.values())
    _same(cached, computed)
    owing = [one for one in cached.values() if one.balance < 0]
    assert owing and all(one.invoices for one in owing)  # made when looked at


def test_another_day_or_another_payment_is_billed_again(example_repo: Path) -> None:
    state, files = _load(example_repo)
    suspended = [c for c, one in standings(state, AS_OF).items() if one.cause == "unpaid"]
    assert suspended
    standingcache.cached_standings(example_repo, state, AS_OF, files)
    later = AS_OF + timedelta(days=40)
    found = standingcache.cached_standings(example_repo, state, later, files)
    _same(found, standings(state, later))
    assert all(one.as_of == later for one in found.values())
    # A payment for the first suspended customer: the same day, another ledger.
    cid = suspended[0]
    owed = -standings(state, AS_OF)[cid].balance
    ledger = example_repo / "payments" / "2026-11.yaml"
    with ledger.open("a", encoding="utf-8") as out:
        out.write(
            f"- id: P-2026-11-0999\n  customer: {cid}\n  amount: {owed}\n"
            "  date: 2026-11-29\n  kind: payment\n  method: cash\n"
        )
    paid, files = _load(example_repo)
    found = standingcache.cached_standings(example_repo, paid, AS_OF, files)
    assert found[cid].access == "enabled" and found[cid].balance == 0
    _same(found, standings(paid, AS_OF))


def _rows(document: dict, change) -> str:
    return json.dumps({**document, "standings": [change(row) for row in document["standings"]]})


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: "not json {",
        lambda doc: json.dumps({**doc, "standings": "x"}),
        lambda doc: json.dumps({**doc, "standings": doc["standings"][1:]}),
        lambda doc: json.dumps({**doc, "key": "0" * 64}),
        lambda doc: _rows(doc, lambda row: [*row[:1], "allowed", *row[2:]]),
        lambda doc: _rows(doc, lambda row: [*row[:2], "forgiven", *row[3:]]),
        lambda doc: _rows(doc, lambda row: [*row[:6], "1000", *row[7:]]),
        lambda doc: _rows(doc, lambda row: [*row[:4], "no-such-profile", *row[5:]]),
        lambda doc: _rows(doc, lambda row: [*row[:5], "29-11-2026", *row[6:]]),
        lambda doc: _rows(doc, lambda row: row[:7]),
    ],
    ids=["garbage", "not-a-list", "a-customer-missing", "another-key", "unknown-access",
         "unknown-cause", "text-money", "unknown-profile", "bad-date", "short-row"],
)  # fmt: skip
def test_a_damaged_cache_is_a_miss_and_is_rewritten(example_repo: Path, damage) -> None:
    state, files = _load(example_repo)
    computed = standings(state, AS_OF)
    standingcache.cached_standings(example_repo, state, AS_OF, files)
    file = standingcache.cache_file(example_repo)
    document = json.loads(file.read_text())
    file.write_text(damage(document))
    _same(standingcache.cached_standings(example_repo, state, AS_OF, files), computed)
    assert json.loads(file.read_text()) == document


def test_a_cache_committed_to_the_repository_is_not_used(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request cannot plant standings: a cache tracked by git is never read."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(example_repo / ".isk-cache"))
    state, files = _load(example_repo)
    computed = standings(state, AS_OF)
    key = standingcache.key(files, AS_OF)
    rows = [[cid, "enabled", "paid", "planted", None, None, 0, 0] for cid in sorted(computed)]
    file = standingcache.cache_file(example_repo)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({"key": key, "standings": rows}))
    handle = git.Repo.init(example_repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "planted", "--author", "A <a@b>")
    found = standingcache.cached_standings(example_repo, state, AS_OF, files)
    _same(found, computed)
    assert "planted" not in {one.reason for one in found.values()}


def test_without_a_fingerprint_nothing_is_cached(example_repo: Path, tmp_path: Path) -> None:
    repo = tmp_path / "copy"
    shutil.copytree(example_repo, repo)
    state, _ = _load(repo)
    assert standingcache.cached_standings(repo, state, AS_OF, None) == standings(state, AS_OF)
    assert not standingcache.cache_file(repo).exists()
