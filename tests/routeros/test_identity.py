"""A router answering with another /system/identity than routers.yaml expects (swapped
ports, a re-used address) is `error` with nothing written: in plan, apply and router check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from isk_reconcile.sim.server import SimulatedRouter


@pytest.fixture
def swapped(tmp_path: Path) -> Iterator[tuple[Path, dict[str, SimulatedRouter]]]:
    """r1 and r2 with their ports swapped in routers.yaml; r3 right."""
    with ExitStack() as stack:
        sims = {
            name: stack.enter_context(SimulatedRouter(identity=name, users={"isk-api": "pw"}))
            for name in ("r1", "r2", "r3")
        }
        ports = {"r1": sims["r2"].port, "r2": sims["r1"].port, "r3": sims["r3"].port}
        root = tmp_path / "isp"
        (root / "state" / "profiles").mkdir(parents=True)
        (root / "state" / "customers").mkdir(parents=True)
        (root / "payments").mkdir()
        (root / "state" / "settings.yaml").write_text("secrets: {allow_plaintext: true}\n")
        routers = {
            name: {
                "host": "127.0.0.1",
                "port": port,
                "username": "isk-api",
                "password_env": "ISK_ROUTER_PW",
                "timeout": 5,
            }
            for name, port in ports.items()
        }
        (root / "state" / "routers.yaml").write_text(yaml.safe_dump(routers))
        (root / "state" / "profiles" / "home.yaml").write_text("price: 1000\nrate_limit: 1M/1M\n")
        for name in ports:
            (root / "state" / "customers" / f"{name}-c.yaml").write_text(
                f"name: C\nrouter: {name}\nstart: 2026-01-01\nprofile: home\nstatus: free\n"
                "pppoe: {password: pw-secret-1}\n"
            )
        yield root, sims


def isk(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ISK_ROUTER_PW": "pw", "NO_COLOR": "1"},
    )


def test_swapped_routers_are_errors_and_nothing_is_written(swapped) -> None:
    repo, sims = swapped
    planned = isk(repo, "plan", "--format", "json")
    assert planned.returncode == 1
    status = {r["router"]: r for r in json.loads(planned.stdout)["routers"]}
    assert status["r3"]["status"] == "ok"
    for name, other in (("r1", "r2"), ("r2", "r1")):
        assert status[name]["status"] == "error"
        assert f"has identity '{other}', routers.yaml expects '{name}'" in status[name]["error"]
    applied = isk(repo, "apply", "--auto-approve")
    assert applied.returncode == 1
    assert sims["r1"].writes == 0 and sims["r2"].writes == 0
    assert sims["r3"].writes > 0  # the right one goes on
    checked = isk(repo, "router", "check")
    assert checked.returncode == 1
    lines = {line.split()[0]: line for line in checked.stdout.splitlines()}
    assert "FAILED  wrong router" in lines["r1"] and " ok " in lines["r3"]


def test_identity_field_names_the_expected_identity(swapped) -> None:
    repo, sims = swapped
    routers = yaml.safe_load((repo / "state" / "routers.yaml").read_text())
    routers["r1"]["identity"], routers["r2"]["identity"] = "r2", "r1"
    (repo / "state" / "routers.yaml").write_text(yaml.safe_dump(routers))
    checked = isk(repo, "router", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
