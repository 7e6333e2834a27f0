"""A new ISP end to end: `isk init`, import two hand-kept routers, adopt, then bill.

Two simulated routers hold what an RT/RW-Net keeps by hand in Winbox: secrets whose
comments carry names and phone numbers, a username with a space, accounts disabled for
not paying ("nunggak") and one disabled for a stated reason, live sessions. After
`isk init` and `isk import` of both routers the first plan only adopts (writes ownership
comments: no enable, disable, delete or disconnect), the apply converges, and when the
date passes the grace period only the accounts that really are unpaid are suspended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from isk_reconcile.billing.engine import standings
from isk_reconcile.cli import _group as isk_group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.routeros.types import ACTIVE, PROFILE, SECRET
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.loader import load_state

IMPORT_DAY = date(2026, 11, 30)
ROUTERS = ("kudus", "jati")


def isk(repo: Path, *args: str, as_of: date = IMPORT_DAY) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(isk_group, ["--repo", str(repo), "--as-of", as_of.isoformat(), *args])
        return code, out.getvalue().decode(), err.getvalue().decode()


SITES = {"kudus": ("10.10.0.1", "8.8.8.8"), "jati": ("10.30.0.1", "10.30.0.1,1.1.1.1")}


def _seed(sim: SimulatedRouter, site: str) -> None:
    # Same package names on both routers, each with its own gateway, pool and DNS.
    gateway, dns = SITES[site]
    sim.add("/ip/pool", {"name": f"pool-{site}", "ranges": f"{gateway[:-1]}10-{gateway[:-1]}250"})
    local = {"local-address": gateway, "remote-address": f"pool-{site}", "dns-server": dns}
    sim.add(PROFILE, {"name": "5Mbps", "rate-limit": "5M/5M", "comment": "Paket 5M", **local})
    sim.add(PROFILE, {"name": "10Mbps", "rate-limit": "10M/10M", **local})
    secrets = [
        {"name": f"budi-{site}", "comment": "Budi Santoso - RT 01 - 0812 3456 7890"},
        {"name": f"siti {site}", "comment": "Siti Aminah"},  # a space: RouterOS allows it
        {"name": f"joko-{site}", "comment": "Joko nunggak", "disabled": "yes"},
        {"name": f"eko-{site}", "comment": "Eko - pindah rumah", "disabled": "yes"},
        {"name": f"dewi-{site}", "profile": "10Mbps"},
    ]
    for number, attrs in enumerate(secrets):
        sim.add(SECRET, {"profile": "5Mbps", "password": f"pw{number}{site}", **attrs})
    sim.add_session(f"budi-{site}", address="10.20.0.2")
    sim.add_session(f"siti {site}", address="10.20.0.3")


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, SimulatedRouter]]:
    sims = {
        name: SimulatedRouter(identity=name, users={"isk-api": f"secret-{name}"}).start()
        for name in ROUTERS
    }
    try:
        for name, sim in sims.items():
            _seed(sim, name)
            monkeypatch.setenv(f"ISK_ROUTER_{name.upper()}_PASSWORD", f"secret-{name}")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
        (tmp_path / "gitconfig").write_text("[user]\n\tname = Rina\n\temail = rina@example.net\n")
        yield sims
    finally:
        for sim in sims.values():
            sim.stop()


def test_a_new_isp_adopts_two_routers_and_bills_only_the_unpaid(
    tmp_path: Path, fleet: dict[str, SimulatedRouter], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "rtrw-net"
    code, out, err = isk(tmp_path, "init", str(repo), "--name", "RT/RW Net", "--grace-days", "3")
    assert code == 0, err
    monkeypatch.setenv("ISK_AGE_IDENTITY_FILE", str(tmp_path / "config/isk/rtrw-net-identity.txt"))
    routers = "".join(
        f"{name}:\n  host: 127.0.0.1\n  port: {sim.port}\n  username: isk-api\n"
        f"  password_env: ISK_ROUTER_{name.upper()}_PASSWORD\n"
        for name, sim in fleet.items()
    )
    (repo / "state" / "routers.yaml").write_text(routers)
    price = ["--price", "5Mbps=150.000", "--price", "10Mbps=Rp200rb"]
    code, out, err = isk(repo, "import", "--router", "kudus", *price)
    assert code == 0, err
    code, out, err = isk(repo, "import", "--router", "jati")  # its packages exist already
    assert code == 0, err
    # `isk init` writes language: id, so the import speaks Indonesian
    assert "jati: 0 paket dan 5 pelanggan diimpor" in out, err

    assert "state/profiles/5Mbps.yaml diperluas ke jati" in out
    state = load_state(repo, cache=False)
    five = state.profiles["5Mbps"]
    assert five.routers == ("kudus", "jati")
    assert (five.local_address, five.remote_address) == ("10.10.0.1", "pool-kudus")
    jati = five.for_router("jati")
    assert (jati.local_address, jati.remote_address) == ("10.30.0.1", "pool-jati")
    assert jati.dns_server == ("10.30.0.1", "1.1.1.1") and jati.rate_limit == "5M/5M"
    assert five.price.at(IMPORT_DAY) == 150_000
    assert state.profiles["10Mbps"].price.at(IMPORT_DAY) == 200_000
    budi = state.customers["budi-kudus"]
    assert (budi.name, budi.phone) == ("Budi Santoso", "+6281234567890")
    assert state.customers["siti-kudus"].username == "siti kudus"
    assert state.customers["eko-jati"].status == "suspended"  # the comment says why
    assert "pindah rumah" in state.customers["eko-jati"].suspend_reason
    assert state.customers["joko-jati"].status == "active"  # nunggak: unpaid since import

    # The first plan only adopts: ownership comments, nothing enabled, cut or dropped.
    code, out, err = isk(repo, "validate")
    assert code == 0, out + err
    code, out, err = isk(repo, "plan", "--adopt", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    for router in plan["routers"]:
        assert router["status"] == "ok", router
        for change in router["changes"]:  # adoption only: the ownership comment
            assert (change["action"], set(change["fields"])) == ("update", {"comment"}), change
    sessions = {name: len(sim.items(ACTIVE)) for name, sim in fleet.items()}
    # --force: import day is a fixed date, and apply refuses any other day than today
    # (in the repository's timezone) without it.
    code, out, err = isk(repo, "apply", "--adopt", "--auto-approve", "--force")
    assert code == 0, out + err
    assert {name: len(sim.items(ACTIVE)) for name, sim in fleet.items()} == sessions
    for sim in fleet.values():
        by_name = {item["name"]: item for item in sim.items(SECRET)}
        assert all(item["comment"].startswith("isk:") for item in by_name.values())
        site = sim.state.identity
        assert by_name[f"joko-{site}"]["disabled"] == "true"
        assert by_name[f"budi-{site}"]["disabled"] == "false"
    assert isk(repo, "plan", "--detailed-exitcode")[0] == 0  # empty

    # Past grace: only the really unpaid are suspended; the paid ones stay on until their
    # opening balance runs out (one period after import day), then their invoice counts.
    later = IMPORT_DAY + timedelta(days=10)
    access = {cid: s.access for cid, s in standings(state, later).items()}
    assert access["joko-kudus"] == access["joko-jati"] == "suspended"
    assert access["eko-jati"] == "suspended"
    assert all(
        access[f"{who}-{site}"] == "enabled" for who in ("budi", "siti", "dewi") for site in ROUTERS
    )
    code, out, err = isk(repo, "plan", "--format", "json", as_of=later)
    assert code == 0 and '"action": "disable"' not in out  # nothing new to cut off
    after_opening = IMPORT_DAY + timedelta(days=31 + 4)
    lapsed = standings(state, after_opening)
    assert lapsed["budi-kudus"].access == "suspended"
    assert "unpaid invoice budi-kudus/2026-12-30" in lapsed["budi-kudus"].reason
