"""`isk status`, `isk export` and `isk report` with the dashboard cache (issue 12): a
command that finds the figures of exactly these files and this day shows what a fresh
computation shows, without loading the State; a changed file, another day, other routers
or a damaged cache gives fresh figures; what is read from routers is never cached."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from isk_reconcile.billing import dashcache
from isk_reconcile.state import statecache
from tests.helpers.live import LiveIsp, run


def status(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> str:
    result = run(capsys, repo, "status", "--no-routers", *args)
    assert result.code == 0, result.err
    return result.out


def fresh(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> str:
    """The output with no dashboard cache: computed from the State."""
    dashcache.cache_file(repo).unlink(missing_ok=True)
    return status(capsys, repo, *args)


@pytest.mark.parametrize("output", ["json", "table", "csv"])
def test_a_hit_shows_what_a_fresh_computation_shows_without_the_state(
    capsys: pytest.CaptureFixture[str], example_repo: Path, output: str
) -> None:
    computed = fresh(capsys, example_repo, "--format", output)
    assert dashcache.cache_file(example_repo).is_file()
    # Without the state cache, a command that loads the State writes it again: a hit
    # does not.
    statecache.state_cache_file(example_repo).unlink()
    assert status(capsys, example_repo, "--format", output) == computed
    assert not statecache.state_cache_file(example_repo).exists()


def test_a_changed_file_another_day_or_other_routers_give_fresh_figures(
    capsys: pytest.CaptureFixture[str], example_repo: Path
) -> None:
    before = status(capsys, example_repo, "--format", "json")
    later = status(capsys, example_repo, "--format", "json", "--as-of", "2027-01-15")
    assert json.loads(later)["as_of"] == "2027-01-15" and later != before
    assert later == fresh(capsys, example_repo, "--format", "json", "--as-of", "2027-01-15")
    one = status(capsys, example_repo, "--format", "json", "--router", "rw05-jati")
    assert [r["router"] for r in json.loads(one)["routers"]] == ["rw05-jati"]
    assert one == fresh(capsys, example_repo, "--format", "json", "--router", "rw05-jati")
    status(capsys, example_repo, "--format", "json")  # the cache holds AS_OF's again
    with (example_repo / "payments" / "2026-11.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "- id: P-2026-11-0999\n  customer: budi-santoso\n  amount: 1000000\n"
            "  date: 2026-11-29\n  kind: payment\n  method: cash\n"
        )
    paid = status(capsys, example_repo, "--format", "json")
    assert paid != before
    assert paid == fresh(capsys, example_repo, "--format", "json")


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace('"active"', '"vip"'),
        lambda text: json.dumps({**json.loads(text), "dashboard": {}}),
    ],
    ids=["cut", "unknown-word", "empty"],
)
def test_a_damaged_cache_gives_fresh_figures_and_is_rewritten(
    capsys: pytest.CaptureFixture[str], example_repo: Path, damage
) -> None:
    computed = fresh(capsys, example_repo, "--format", "json")
    file = dashcache.cache_file(example_repo)
    text = file.read_text()
    file.write_text(damage(text))
    assert status(capsys, example_repo, "--format", "json") == computed
    assert file.read_text() == text


def workbook(capsys: pytest.CaptureFixture[str], repo: Path, path: Path) -> dict[str, bytes]:
    result = run(capsys, repo, "export", "--no-routers", "--xlsx", str(path))
    assert result.code == 0, result.err
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def test_the_workbook_from_a_hit_is_the_computed_one(
    capsys: pytest.CaptureFixture[str], example_repo: Path, tmp_path: Path
) -> None:
    """Its invoices and payments are made from the State when the workbook lists them."""
    computed = workbook(capsys, example_repo, tmp_path / "cold.xlsx")
    status(capsys, example_repo)  # a hit: the cache holds this day's figures
    assert workbook(capsys, example_repo, tmp_path / "warm.xlsx") == computed


def test_what_is_read_from_routers_is_never_cached(
    capsys: pytest.CaptureFixture[str], live_isp: LiveIsp
) -> None:
    read = run(capsys, live_isp.repo, "status", "--format", "json")
    assert read.code == 0, read.err
    routers = json.loads(read.out)["routers"]
    assert all(router["reachable"] and router["drift"] is not None for router in routers)
    offline = json.loads(status(capsys, live_isp.repo, "--format", "json"))
    assert all(router["reachable"] is None for router in offline["routers"])
    assert all(router["drift"] is None for router in offline["routers"])
    assert offline["commit"] == live_isp.commit
    again = json.loads(run(capsys, live_isp.repo, "status", "--format", "json").out)
    assert again == json.loads(read.out)
    dashcache.cache_file(live_isp.repo).unlink()
    assert json.loads(status(capsys, live_isp.repo, "--format", "json")) == offline


def test_text_from_a_cache_is_shown_escaped_like_text_from_the_files(
    capsys: pytest.CaptureFixture[str], example_repo: Path
) -> None:
    """The cache's names and reasons are repository text: a cache that holds a control
    character (written by hand: the loader refuses one in a file) is shown through the
    same escaping renderers, never raw."""
    status(capsys, example_repo)
    file = dashcache.cache_file(example_repo)
    document = json.loads(file.read_text())
    board = document["dashboard"]
    board["customers"] = [[row[0], "Evil\x1b[2J", *row[2:]] for row in board["customers"]]
    board["overdue"] = [[row[0], "Evil\x1b[2J", *row[2:]] for row in board["overdue"]]
    file.write_text(json.dumps(document))
    for output in ("table", "json"):
        shown = status(capsys, example_repo, "--format", output)
        assert "Evil" in shown and "\x1b" not in shown, output
