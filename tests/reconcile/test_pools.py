"""IP pools: declared per router in routers.yaml, managed by comment like everything else,
validated (overlaps, static IPs inside a pool), and checked before any write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from isk_reconcile.cli import _group as isk_group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.routeros.types import POOL, PROFILE, SECRET, LiveItem, LiveState
from isk_reconcile.sim import SimulatedRouter

AS_OF = "2026-11-29"


def isk(repo: Path, *args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        forced = ("--force",) if args[:1] == ("apply",) else ()  # apply for AS_OF, not today
        code = run_cli(isk_group, ["--repo", str(repo), "--as-of", AS_OF, *args, *forced])
        return code, out.getvalue().decode(), err.getvalue().decode()


def write(repo: Path, port: int, pools: str, *, profile_pool: str = "pool-home",
          static: str = "") -> Path:  # fmt: skip
    files = {
        "state/settings.yaml": "secrets: {allow_plaintext: true}\n",
        "state/routers.yaml": f"r1:\n  host: 127.0.0.1\n  port: {port}\n  username: isk\n"
        f"  password_env: ISK_ROUTER_R1_PASSWORD\n{pools}",
        "state/profiles/home.yaml": f"price: 100000\nremote_address: {profile_pool}\n",
        "state/customers/ani.yaml": "name: Ani\nrouter: r1\nstart: 2026-11-01\nprofile: home\n"
        f"status: free\npppoe: {{password: pw-ani{static}}}\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedRouter]:
    router = SimulatedRouter(identity="r1", users={"isk": "pw"}).start()
    monkeypatch.setenv("ISK_ROUTER_R1_PASSWORD", "pw")
    yield router
    router.stop()


MANAGED = (
    "  pools:\n    pool-home: {ranges: [10.20.0.10-10.20.0.99, 10.20.1.0/24], comment: Rumah}\n"
)


def pools(sim: SimulatedRouter) -> dict[str, dict[str, str]]:
    return {item["name"]: item for item in sim.items(POOL)}


def test_declared_pools_are_created_before_the_profiles_and_converge(
    tmp_path: Path, sim: SimulatedRouter
) -> None:
    repo = write(tmp_path, sim.port, MANAGED)
    code, out, err = isk(repo, "plan", "--format", "json")
    assert code == 0, err
    changes = json.loads(out)["routers"][0]["changes"]
    kinds = [(c["action"], c["kind"]) for c in changes]
    assert kinds[:2] == [("create", "pool"), ("create", "profile")]
    assert isk(repo, "apply", "--auto-approve")[0] == 0
    assert pools(sim)["pool-home"]["ranges"] == "10.20.0.10-10.20.0.99,10.20.1.0/24"
    assert pools(sim)["pool-home"]["comment"] == "isk:pool Rumah"
    assert isk(repo, "plan", "--detailed-exitcode")[0] == 0
    # a changed range is an update of that pool only
    write(repo, sim.port, MANAGED.replace("10.20.0.99", "10.20.0.199"))
    code, out, _ = isk(repo, "plan", "--format", "json", "--detailed-exitcode")
    (change,) = json.loads(out)["routers"][0]["changes"]
    assert (change["action"], change["kind"], change["name"]) == ("update", "pool", "pool-home")
    assert (
        isk(repo, "apply", "--auto-approve")[0] == 0
        and isk(repo, "plan", "--detailed-exitcode")[0] == 0
    )


def test_a_pool_that_is_neither_managed_nor_on_the_router_stops_the_plan_before_any_write(
    tmp_path: Path, sim: SimulatedRouter
) -> None:
    repo = write(tmp_path, sim.port, "", profile_pool="pool-missing")
    code, out, err = isk(repo, "apply", "--auto-approve")
    assert code == 1
    assert (
        "names IP pool 'pool-missing', which is neither in routers.yaml pools nor on" in out + err
    )
    assert sim.items(PROFILE) == [i for i in sim.items(PROFILE) if i["name"].startswith("default")]
    assert sim.items(SECRET) == [] and sim.writes == 0
    # the same pool made by hand on the router: planned as usual, the pool untouched
    sim.add(POOL, {"name": "pool-missing", "ranges": "10.9.0.2-10.9.0.9"})
    assert isk(repo, "apply", "--auto-approve")[0] == 0
    assert pools(sim)["pool-missing"].get("comment", "") == ""


def test_hand_made_pools_are_never_changed_or_deleted(tmp_path: Path, sim: SimulatedRouter) -> None:
    sim.add(POOL, {"name": "pool-home", "ranges": "10.20.0.2-10.20.0.9"})
    sim.add(POOL, {"name": "pool-vlan9", "ranges": "10.9.0.2-10.9.0.9"})
    repo = write(tmp_path, sim.port, MANAGED)
    code, out, _ = isk(repo, "plan", "--format", "json")
    router = json.loads(out)["routers"][0]
    assert [(c["action"], c["name"]) for c in router["changes"] if c["kind"] == "pool"] == [
        ("conflict", "pool-home")
    ]
    assert router["summary"]["unmanaged"] == 2
    assert isk(repo, "apply", "--auto-approve")[0] == 0
    assert pools(sim)["pool-home"]["ranges"] == "10.20.0.2-10.20.0.9"  # a conflict is not applied
    assert "pool-vlan9" in pools(sim)


def test_a_managed_pool_dropped_from_the_repo_is_deleted_only_when_unused(
    tmp_path: Path, sim: SimulatedRouter
) -> None:
    extra = MANAGED + "    pool-old: {ranges: [10.50.0.2-10.50.0.9]}\n"
    repo = write(tmp_path, sim.port, extra)
    assert isk(repo, "apply", "--auto-approve")[0] == 0
    write(repo, sim.port, "", profile_pool="pool-home")  # pools no longer declared at all
    code, out, _ = isk(repo, "plan", "--format", "json")
    router = json.loads(out)["routers"][0]
    assert [(c["action"], c["name"]) for c in router["changes"] if c["kind"] == "pool"] == [
        ("delete", "pool-old")
    ]
    assert any("IP pool pool-home kept" in note for note in router.get("notes", []))
    assert isk(repo, "apply", "--auto-approve")[0] == 0
    assert set(pools(sim)) == {"pool-home"}


@pytest.mark.parametrize(
    ("pools_yaml", "static", "message"),
    [
        ("  pools:\n    a: {ranges: [10.0.0.1-10.0.0.50]}\n    b: {ranges: [10.0.0.40/29]}\n",
         "", "overlaps 10.0.0.1-10.0.0.50 of pool 'a'"),
        ("  pools:\n    a: {ranges: [10.0.0.300-10.0.0.1]}\n", "",
         "'10.0.0.300-10.0.0.1' is not an address range"),
        ("  pools:\n    a: {ranges: [10.0.0.9-10.0.0.1]}\n", "", "ends before it starts"),
        ("  pools:\n    a: {ranges: [10.0.0.1-10.0.0.9], next_pool: b}\n", "",
         "next_pool 'b' is not a pool of this router"),
        (MANAGED, ", remote_address: 10.20.1.7", "static address 10.20.1.7 is inside pool"),
    ],
)  # fmt: skip
def test_pool_mistakes_are_one_line_errors_with_file_and_line(
    tmp_path: Path, pools_yaml: str, static: str, message: str
) -> None:
    repo = write(tmp_path, 8728, pools_yaml, static=static)
    code, _, err = isk(repo, "validate")
    assert code == 1 and message in err
    line = next(line for line in err.splitlines() if message in line)
    assert line.startswith(("state/routers.yaml:", "state/customers/ani.yaml:"))
    assert line.split(":")[1].isdigit()


def test_a_pool_change_makes_a_saved_plan_stale() -> None:
    base = dict(router="r1", profiles=(), secrets=(), active=())
    one = LiveState(**base, pools=(LiveItem("*1", {"name": "p", "ranges": "10.0.0.1-10.0.0.9"}),))
    other = LiveState(**base, pools=(LiveItem("*1", {"name": "p", "ranges": "10.0.0.1-10.0.0.8"}),))
    assert one.fingerprint() != other.fingerprint()
