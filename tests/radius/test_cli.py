"""`isk plan`/`isk apply` with a RADIUS router: the real `isk` executable, a simulated
router for the API side and the real store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from isk_reconcile.sim.server import SimulatedRouter
from tests.radius.conftest import (
    AS_OF,
    STORE_TABLES,
    TEST_SECRET,
    free_port,
    write_radius_repo,
)

ISK = Path(sys.executable).parent / "isk"
API_PASSWORD = "api-pass-1"


@pytest.fixture
def router() -> Iterator[SimulatedRouter]:
    sim = SimulatedRouter(identity="r1", users={"isk-api": API_PASSWORD}).start()
    for name, ranges in (
        ("pool-home", "10.20.0.10-10.20.0.250"),
        ("pool-isolir", "10.99.0.2-10.99.0.9"),
    ):
        sim.add("/ip/pool", {"name": name, "ranges": ranges})  # made by hand on the router
    yield sim
    sim.stop()


def isk(repo: Path, dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "ISK_RADIUS_DSN": dsn,
        "ISK_ROUTER_R1_RADIUS_SECRET": TEST_SECRET,
        "ISK_ROUTER_R1_PASSWORD": API_PASSWORD,
        "NO_COLOR": "1",
    }
    environ.pop("ISK_REPO", None)
    result = subprocess.run(
        # apply for AS_OF (not today) needs --force
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args]
        + (["--force"] if args[:1] == ("apply",) else []),
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    for secret in ("budi-pass", "sari-pass", TEST_SECRET, API_PASSWORD):
        assert secret not in result.stdout + result.stderr
    return result


def test_plan_and_apply_with_a_radius_router(tmp_path, router, clean_store) -> None:
    repo = write_radius_repo(
        tmp_path / "isp", coa_port=free_port(socket.SOCK_DGRAM), api_port=router.port
    )
    planned = isk(repo, clean_store, "plan", "--format", "json", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    document = json.loads(planned.stdout)
    assert document["format"] == "isk-plan/1"
    r1, store = document["routers"]
    assert (r1["router"], "target" in r1) == ("r1", False)
    assert {c["kind"] for c in r1["changes"]} == {"profile"}  # no secrets on a RADIUS router
    assert store["target"] == "radius" and store["status"] == "ok"
    assert store["summary"]["create"] == len(store["changes"])

    applied = isk(repo, clean_store, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "radius: " in applied.stdout and "verified" in applied.stdout
    profiles = set(router.state.tables["/ppp/profile"].by_name)
    assert {"home-10m", "home-20m", "isolir"} <= profiles
    assert router.state.tables["/ppp/secret"].items == {}
    with psycopg.connect(clean_store) as conn:
        members = conn.execute("SELECT username, groupname FROM radusergroup").fetchall()
    assert ("budi", "isk:home-10m") in members and ("sari", "isk:@reject") in members

    again = isk(repo, clean_store, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    alone = isk(repo, clean_store, "radius", "plan", "--format", "json")
    assert alone.returncode == 0 and json.loads(alone.stdout)["routers"][0]["changes"] == []


def test_store_unreachable_is_an_error_target(tmp_path, router) -> None:
    repo = write_radius_repo(
        tmp_path / "isp", coa_port=free_port(socket.SOCK_DGRAM), api_port=router.port
    )
    dead = f"host=127.0.0.1 port={free_port()} user=nobody password=hunter2 dbname=x"
    planned = isk(repo, dead, "plan", "--format", "json")
    assert planned.returncode == 1
    store = json.loads(planned.stdout)["routers"][-1]
    assert store["status"] == "error" and "cannot connect" in store["error"]
    assert "hunter2" not in planned.stdout + planned.stderr


def test_router_check_shows_radius_baseline_fixes(tmp_path, router) -> None:
    """A fresh router misses every RADIUS setting: check names each with the command that
    fixes it; after running those commands on the router, the check passes."""
    repo = write_radius_repo(tmp_path / "isp", coa_port=3799, api_port=router.port)
    settings = repo / "state/settings.yaml"
    settings.write_text(settings.read_text() + "radius: {servers: [10.0.0.5]}\n")
    checked = isk(repo, "", "router", "check")
    assert checked.returncode == 1
    out = checked.stdout
    assert "RADIUS baseline incomplete" in out
    assert '/radius add service=ppp address=10.0.0.5 secret="<value of ' in out
    assert "/ppp aaa set use-radius=yes accounting=yes interim-update=5m" in out
    assert "/radius incoming set accept=yes port=3799" in out

    # What an operator does with those commands (over the API, the way the sim takes them).
    state = router.state
    state.add("/radius", {"service": "ppp", "address": "10.0.0.5", "secret": TEST_SECRET})
    state.set("/ppp/aaa", {"use-radius": "yes", "accounting": "yes", "interim-update": "5m"})
    state.set("/radius/incoming", {"accept": "yes", "port": "3799"})
    fixed = isk(repo, "", "router", "check")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "r1: RADIUS baseline ok" in fixed.stdout

    state.set("/radius", {".id": "*1", "secret": "something-else"})
    wrong = isk(repo, "", "router", "check")
    assert wrong.returncode == 1
    assert "secret for 10.0.0.5 differs" in wrong.stdout
    assert "something-else" not in wrong.stdout


def test_saved_plan_applies_only_to_the_store_it_was_made_for(tmp_path, router, clean_store):
    repo = write_radius_repo(
        tmp_path / "isp", coa_port=free_port(socket.SOCK_DGRAM), api_port=router.port
    )
    assert isk(repo, clean_store, "apply", "--auto-approve").returncode == 0  # r1's profiles
    with psycopg.connect(clean_store) as conn:
        conn.execute(f"TRUNCATE {STORE_TABLES}")
    saved = tmp_path / "plan.json"
    assert isk(repo, clean_store, "plan", "--out", str(saved)).returncode == 0
    with psycopg.connect(clean_store) as conn:  # someone changes the store meanwhile
        conn.execute(
            "INSERT INTO radgroupreply (groupname, attribute, op, value) "
            "VALUES ('isk:home-10m', 'Mikrotik-Rate-Limit', ':=', '1M/1M')"
        )
    stale = isk(repo, clean_store, "apply", "--auto-approve", str(saved))
    assert stale.returncode == 1
    assert "stale plan" in stale.stderr
    with psycopg.connect(clean_store) as conn:
        assert conn.execute("SELECT count(*) FROM radcheck").fetchone() == (0,)
        conn.execute("DELETE FROM radgroupreply")
    fresh = isk(repo, clean_store, "apply", "--auto-approve", str(saved))
    assert fresh.returncode == 0, fresh.stderr
    assert "verified" in fresh.stdout
