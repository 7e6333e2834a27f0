"""Shared fixtures: a private copy of the example ISP and the demo age identity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
DEMO_IDENTITY_FILE = PROJECT / "demo" / "age-identity.txt"


@pytest.fixture(autouse=True)
def private_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test's parse caches (and anything else under XDG_CACHE_HOME) in its own
    directory, never the user's ~/.cache; subprocesses inherit it."""
    home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def demo_identity(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the labelled demo identity the one that decrypts passwords."""
    monkeypatch.delenv("ISK_AGE_IDENTITY", raising=False)
    monkeypatch.setenv("ISK_AGE_IDENTITY_FILE", str(DEMO_IDENTITY_FILE))
    return DEMO_IDENTITY_FILE


@pytest.fixture
def example_repo(tmp_path: Path, demo_identity: Path) -> Path:
    """A writable copy of the example ISP (state/ and payments/), outside the project's git."""
    repo = tmp_path / "isp"
    shutil.copytree(PROJECT / "state", repo / "state")
    shutil.copytree(PROJECT / "payments", repo / "payments")
    return repo
