"""Shared fixtures: a private copy of the example ISP, the demo age identity, simulated
and the example ISP served by simulated routers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import DEMO_IDENTITY_FILE, PROJECT
from tests.helpers.live import LiveIsp, serve_example_isp

# `make mutate` runs the property tests once per mutant: fewer examples each (tests
# asking for another count scale it with tests.helpers.examples.scaled), the same ones
# every run (a mutant's verdict must not depend on luck), no deadline (the machine is
# shared and timing is not what is tested).
settings.register_profile(
    "mutate",
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
if os.environ.get("ISK_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["ISK_HYPOTHESIS_PROFILE"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reads_source: reads the package's source text (skipped under mutmut)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `make mutate` the package is mutmut's rewritten copy (every function beside
    its mutants, strings changed): a test that scans the source text cannot pass there."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    skip = pytest.mark.skip(reason="reads the source text, which mutmut rewrites")
    for item in items:
        if item.get_closest_marker("reads_source"):
            item.add_marker(skip)


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


# --- headless Chromium (the dashboard tests) -------------------------------------------


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _binary("chromium", "chromium-browser")
CHROMEDRIVER = _binary("chromedriver")


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    if not (CHROMIUM and CHROMEDRIVER):
        message = "headless Chromium not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + " — required in CI")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Selenium Manager must not go looking for drivers on the network.
    monkeypatch.setenv("SE_OFFLINE", "true")
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def live_isp(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveIsp]:
    """The example ISP in a git repo, each router simulated on a free port."""
    yield from serve_example_isp(example_repo, monkeypatch)
