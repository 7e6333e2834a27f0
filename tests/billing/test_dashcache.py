"""The dashboard cache (issue 12): the billing figures of the dashboard come back exactly
as `report.billing_dashboard` computed them, for the key they were stored under; the lists
of every invoice and entry are made from the State only when looked at; anything damaged
or planted is a miss, never an error."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import git
import pytest

from isk_reconcile.billing import dashcache
from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.billing.report import billing_dashboard, dashboard, with_live
from isk_reconcile.billing.report_types import CATEGORIES, Dashboard, RouterInfo
from isk_reconcile.state.customers import Hold
from isk_reconcile.state.loader import load_state_and_files
from isk_reconcile.state.model import State
from tests.helpers.dashboard import AS_OF, D, example_state, person
from tests.helpers.generated import generate_isp

FILES = {"state/settings.yaml": "0" * 64}  # the fingerprint these tests store under


def every_kind() -> State:
    """The hand-made ISP of tests/helpers/dashboard.py and a customer on hold: a customer
    of every category."""
    state = example_state()
    away = Hold(from_=D("2026-11-01"), until=None, reason="abroad")
    hannah = person("hannah", "r1", "2026-09-01", holds=(away,))
    return replace(state, customers={**state.customers, "hannah": hannah})


def computed(state: State, as_of: date, only: list[str] | None = None) -> Dashboard:
    every = standings(state, as_of)
    owed = receivables(state, as_of, every)
    return billing_dashboard(state, as_of, every, owed, only=only)


class Source:
    """The State and standings a cached dashboard's lists are made from, counted."""

    def __init__(self, state: State, as_of: date) -> None:
        self.state, self.as_of, self.calls = state, as_of, 0

    def __call__(self) -> tuple[State, Any]:
        self.calls += 1
        return self.state, standings(self.state, self.as_of)


def stored(repo: Path, board: Dashboard, only: list[str] | None = None) -> str:
    wanted = dashcache.key(FILES, board.as_of, only)
    dashcache.save(repo, wanted, board)
    return wanted


@pytest.mark.parametrize("only", [None, ["r2"]])
def test_every_kind_of_customer_comes_back_exactly(tmp_path: Path, only) -> None:
    state = every_kind()
    board = computed(state, AS_OF, only)
    if only is None:
        assert {row.category for row in board.customers} == set(CATEGORIES)
    assert board.receivables and board.overdue  # rows holding invoices are stored too
    wanted = stored(tmp_path, board, only)
    source = Source(state, AS_OF)
    found = dashcache.load(tmp_path, wanted, AS_OF, source)
    assert found is not None and source.calls == 0  # no State needed for the figures
    assert found.customers == board.customers and found.receivables == board.receivables
    assert found == board  # the invoices and payments too, made from the State now
    assert source.calls == 1
    assert len(found.invoices) and found.payments  # once for both lists


def test_the_live_side_is_added_to_a_cached_board(tmp_path: Path) -> None:
    state = every_kind()
    every = standings(state, AS_OF)
    info = {"r1": RouterInfo("r1", "7.16", "1d", 3), "r2": "connection refused"}
    drift = {"r1": 2}
    live = dashboard(state, AS_OF, every, receivables(state, AS_OF, every), info, drift)
    live = replace(live, commit="abc", notes=("a note",))
    wanted = stored(tmp_path, live)  # what is read from routers is not what is stored
    found = dashcache.load(tmp_path, wanted, AS_OF, Source(state, AS_OF))
    assert found is not None
    assert all(not status.checked and status.info is None for status in found.routers)
    assert found.commit is None and found.notes == ()
    assert with_live(found, info, drift, commit="abc", notes=["a note"]) == live


def test_the_generated_isp_comes_back_exactly(tmp_path: Path) -> None:
    repo = generate_isp(tmp_path / "isp", 300, 3, 6, date(2026, 11, 29))
    state, files = load_state_and_files(repo)
    assert files is not None
    as_of = date(2026, 11, 29)
    board = computed(state, as_of)
    wanted = dashcache.key(files, as_of)
    dashcache.save(repo, wanted, board)
    found = dashcache.load(repo, wanted, as_of, Source(state, as_of))
    assert found == board
    assert len(found.customers) == 300 and len(found.invoices) > 300


def test_another_key_is_a_miss(tmp_path: Path) -> None:
    state = every_kind()
    board = computed(state, AS_OF)
    stored(tmp_path, board)
    later = date(2026, 12, 20)
    for wanted in (
        dashcache.key(FILES, later),
        dashcache.key(FILES, AS_OF, ["r1"]),
        dashcache.key(FILES, AS_OF, expiring_days=30),
        dashcache.key({**FILES, "payments/2026-11.yaml": "1" * 64}, AS_OF),
    ):
        assert dashcache.load(tmp_path, wanted, AS_OF, Source(state, AS_OF)) is None


def _customers(document: dict, change) -> str:
    board = document["dashboard"]
    rows = [change(row) for row in board["customers"]]
    return json.dumps({**document, "dashboard": {**board, "customers": rows}})


def _part(document: dict, name: str, value: Any) -> str:
    return json.dumps({**document, "dashboard": {**document["dashboard"], name: value}})


def _first_bucket(document: dict, label: str) -> str:
    total = document["dashboard"]["total"]
    aging = [[label, *total[6][0][1:]], *total[6][1:]]
    return _part(document, "total", [*total[:6], aging, *total[7:]])


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: "not json {",
        lambda doc: json.dumps([doc]),
        lambda doc: json.dumps({**doc, "key": "0" * 64}),
        lambda doc: json.dumps({"key": doc["key"]}),
        lambda doc: _part(doc, "customers", "x"),
        lambda doc: _part(doc, "monthly", doc["dashboard"]["monthly"][1:]),
        lambda doc: _part(doc, "routers", [[*row[:2]] for row in doc["dashboard"]["routers"]]),
        lambda doc: _part(doc, "receivables", [[1]]),
        lambda doc: _first_bucket(doc, "91-120"),
        lambda doc: _customers(doc, lambda row: [*row[:5], "vip", *row[6:]]),
        lambda doc: _customers(doc, lambda row: [*row[:6], "allowed", *row[7:]]),
        lambda doc: _customers(doc, lambda row: [*row[:10], "1000", *row[11:]]),
        lambda doc: _customers(doc, lambda row: [*row[:10], True, *row[11:]]),
        lambda doc: _customers(doc, lambda row: [*row[:13], "29-11-2026", *row[14:]]),
        lambda doc: _customers(doc, lambda row: [*row[:2], "r9", *row[3:]]),
        lambda doc: _customers(doc, lambda row: row[:-1]),
        lambda doc: _customers(doc, lambda row: [*row, "more"]),
    ],
    ids=["garbage", "not-a-mapping", "another-key", "no-dashboard", "not-a-list",
         "a-month-missing", "short-router", "short-receivable", "unknown-bucket",
         "unknown-category", "unknown-access", "text-money", "bool-money", "bad-date",
         "unknown-router", "short-row", "long-row"],
)  # fmt: skip
def test_a_damaged_cache_is_a_miss(tmp_path: Path, damage) -> None:
    state = every_kind()
    wanted = stored(tmp_path, computed(state, AS_OF))
    file = dashcache.cache_file(tmp_path)
    document = json.loads(file.read_text())
    assert dashcache.load(tmp_path, wanted, AS_OF, Source(state, AS_OF)) is not None
    file.write_text(damage(document))
    assert dashcache.load(tmp_path, wanted, AS_OF, Source(state, AS_OF)) is None


def test_a_cache_committed_to_the_repository_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request cannot plant dashboard figures: a cache tracked by git is never read."""
    repo = tmp_path / "isp"
    (repo / "state").mkdir(parents=True)
    (repo / "state" / "routers.yaml").write_text("routers: []\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo / ".isk-cache"))
    state = every_kind()
    wanted = stored(repo, computed(state, AS_OF))
    assert dashcache.load(repo, wanted, AS_OF, Source(state, AS_OF)) is not None
    handle = git.Repo.init(repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "planted", "--author", "A <a@b>")
    assert dashcache.load(repo, wanted, AS_OF, Source(state, AS_OF)) is None


def test_a_field_the_cache_cannot_store_turns_it_off(tmp_path: Path) -> None:
    """A dashboard value of a type the codec does not know is never cached (slower, never
    wrong); every field of today's values is known."""
    codec = dashcache._codec(dict[str, int])
    with pytest.raises(TypeError):
        codec.encode({})
    with pytest.raises(TypeError):
        codec.decode({})
    state = every_kind()
    stored(tmp_path, computed(state, AS_OF))
    assert dashcache.cache_file(tmp_path).is_file()
