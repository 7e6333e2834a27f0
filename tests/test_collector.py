"""collector: the cyclic garbage collector paused around bulk work, and what the work made
frozen after a large load (so that the first collection does not walk all of it)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from isk_reconcile import collector
from isk_reconcile.cli import _group
from isk_reconcile.cli.context import run_cli


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def bulk() -> list[dict[str, int]]:
    return [{"n": n} for n in range(5_000)]  # dicts the collector tracks


def test_the_collector_is_off_inside_and_back_after(unfrozen: None) -> None:
    assert gc.isenabled()
    with collector.collector_paused():
        assert not gc.isenabled()
        with collector.collector_paused():  # nested: the outer one restores it
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_after_a_large_load_what_the_body_made_is_frozen(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector, "_large", True)
    with collector.collector_paused():
        made = bulk()
    assert gc.get_freeze_count() >= len(made)
    assert gc.isenabled()


def test_after_a_small_load_nothing_is_frozen(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector, "_large", False)
    with collector.collector_paused():
        bulk()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_one_shot_command_freezes_a_large_load(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector, "_large", False)
    monkeypatch.setattr(collector, "_one_shot", False)
    collector.one_shot()
    made = bulk()
    collector.freeze_if_large(collector.FREEZE_FROM)
    assert gc.get_freeze_count() >= len(made) and collector._large


@pytest.mark.parametrize("items", [collector.FREEZE_FROM, collector.FREEZE_FROM * 100])
def test_a_long_running_process_freezes_nothing(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch, items: int
) -> None:
    """`isk serve` (or a program using isk) loads the repository again and again: what it
    froze would never be collected."""
    monkeypatch.setattr(collector, "_large", False)
    monkeypatch.setattr(collector, "_one_shot", True)
    collector.one_shot(False)
    bulk()
    collector.freeze_if_large(items)
    with collector.collector_paused():
        bulk()
    assert gc.get_freeze_count() == 0 and not collector._large


def test_isk_serve_says_it_runs_for_long(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before anything else, even when it then refuses to start (no gateway key here)."""
    monkeypatch.setattr(collector, "_one_shot", True)  # as `main` sets it
    for name in ("ISK_MIDTRANS_SERVER_KEY", "ISK_XENDIT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert run_cli(_group, ["--repo", str(example_repo), "serve", "--port", "0"]) == 1
    assert "no gateway key" in capsys.readouterr().err
    assert collector._one_shot is False
