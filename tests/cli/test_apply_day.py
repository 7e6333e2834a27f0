"""`isk apply` sets the routers as they must be on one day: for any other day than today
(an --as-of, or a saved plan made for another date) it refuses without --force, before
any router is contacted."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from isk_reconcile.cli.context import today_in
from isk_reconcile.sim.server import SimulatedRouter

TODAY = today_in("Asia/Jakarta")


@pytest.fixture
def repo(tmp_path: Path):
    with SimulatedRouter(identity="r1", users={"isk-api": "pw"}) as sim:
        root = tmp_path / "isp"
        (root / "state" / "profiles").mkdir(parents=True)
        (root / "state" / "customers").mkdir(parents=True)
        (root / "payments").mkdir()
        (root / "state" / "settings.yaml").write_text("secrets: {allow_plaintext: true}\n")
        (root / "state" / "routers.yaml").write_text(
            f"r1: {{host: 127.0.0.1, port: {sim.port}, username: isk-api, "
            "password_env: ISK_ROUTER_PW}\n"
        )
        (root / "state" / "profiles" / "home.yaml").write_text("price: 1000\nrate_limit: 1M/1M\n")
        (root / "state" / "customers" / "a.yaml").write_text(
            "name: A\nrouter: r1\nstart: 2026-01-01\nprofile: home\nstatus: free\n"
            "pppoe: {password: pw-secret-1}\n"
        )
        yield root, sim


def isk(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ISK_ROUTER_PW": "pw"},
    )


@pytest.mark.parametrize("days", [1, -1, 400])
def test_apply_for_another_day_is_refused_without_force(repo, days: int) -> None:
    root, sim = repo
    other = (TODAY + timedelta(days=days)).isoformat()
    refused = isk(root, "--as-of", other, "apply", "--auto-approve")
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert f"--as-of is for {other}, today is {TODAY.isoformat()}" in line and "--force" in line
    assert not sim.counters and sim.writes == 0  # no router contacted
    forced = isk(root, "--as-of", other, "apply", "--auto-approve", "--force")
    assert forced.returncode == 0, forced.stderr
    assert sim.writes > 0


def test_apply_today_needs_no_force(repo) -> None:
    root, sim = repo
    assert isk(root, "--as-of", TODAY.isoformat(), "apply", "--auto-approve").returncode == 0
    assert sim.writes > 0


def test_saved_plan_for_another_day_is_refused_without_force(repo, tmp_path: Path) -> None:
    root, sim = repo
    saved = tmp_path / "plan.json"
    other = (TODAY + timedelta(days=30)).isoformat()
    assert isk(root, "--as-of", other, "plan", "--out", str(saved)).returncode == 0
    refused = isk(root, "apply", str(saved), "--auto-approve")  # no --as-of: today
    assert refused.returncode == 1
    assert f"the saved plan is for {other}" in refused.stderr
    assert sim.writes == 0
    assert isk(root, "apply", str(saved), "--auto-approve", "--force").returncode == 0
