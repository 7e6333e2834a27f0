"""collector: the cyclic garbage collector paused around bulk work, and what the work made
frozen after a large load (so that the first collection does not walk all of it)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from isk_reconcile import collector


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
