"""Shared fixtures: a private copy of the example ISP and the demo age identity."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

PROJECT = Path(__file__).resolve().parent.parent
# `make mutate` runs the property tests once per mutant: fewer examples each (the
# tests' own @settings still win where they set max_examples).
settings.register_profile("mutate", max_examples=25)
if os.environ.get("ISK_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["ISK_HYPOTHESIS_PROFILE"])
DEMO_IDENTITY_FILE = PROJECT / "demo" / "age-identity.txt"


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
