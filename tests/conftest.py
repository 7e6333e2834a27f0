"""Shared fixtures: a private copy of the example ISP, the demo age identity, simulated
and the example ISP served by simulated routers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import DEMO_IDENTITY_FILE, PROJECT
from tests.helpers.live import LiveIsp, serve_example_isp


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


@pytest.fixture
def live_isp(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveIsp]:
    """The example ISP in a git repo, each router simulated on a free port."""
    yield from serve_example_isp(example_repo, monkeypatch)
