"""A RADIUS router through the API: its profiles are managed, its secrets are not."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

from isk_reconcile.billing.engine import standings
from isk_reconcile.radius.desired import SAFE_CHARACTERS, desired_store
from isk_reconcile.reconcile.desired import desired_state
from isk_reconcile.reconcile.plan import plan_router
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.loader import load_state
from tests.radius.conftest import AS_OF, write_radius_repo

TODAY = date.fromisoformat(AS_OF)


POOLS = ("pool-home", "pool-isolir")  # on the router, made by hand


def test_radius_router_gets_profiles_but_no_secrets(tmp_path: Path) -> None:
    repo = write_radius_repo(tmp_path / "isp", coa_port=free_udp())
    state = load_state(repo, cache=False)
    desired = desired_state(state, standings(state, TODAY), "r1", {})
    assert desired.secrets == {}
    assert set(desired.profiles) == {"home-10m", "home-20m", "isolir"}


def test_moving_to_radius_deletes_secrets_but_keeps_sessions(tmp_path: Path) -> None:
    """Migration: the old managed secrets go (a local secret wins over RADIUS), every one
    of them, without tripping the safety limit and without cutting the live session."""
    repo = write_radius_repo(tmp_path / "isp", coa_port=free_udp())
    state = load_state(repo, cache=False)
    desired = desired_state(state, standings(state, TODAY), "r1", {})
    secrets = tuple(
        LiveItem(f"*{n}", {"name": cid, "comment": f"isk:{cid} {cid}", "profile": "home-10m"})
        for n, cid in enumerate(["budi", "sari", "tono", "hand"], 1)
    )
    hand_made = LiveItem("*9", {"name": "staff", "profile": "default"})
    pools = tuple(LiveItem(f"*P{n}", {"name": name}) for n, name in enumerate(POOLS))
    live = LiveState("r1", (), (*secrets, hand_made), (LiveItem("*A1", {"name": "budi"}),), pools)
    plan = plan_router(desired, live, state.settings.safety)
    assert plan.status == "ok"
    deleted = sorted(c.name for c in plan.changes if c.kind == "secret")
    assert deleted == ["budi", "hand", "sari", "tono"]
    assert all(c.action == "delete" for c in plan.changes if c.kind == "secret")
    assert not [c for c in plan.changes if c.kind == "session"]
    assert "uses RADIUS" in next(c for c in plan.changes if c.name == "budi").reason


def test_reject_group_name_survives_freeradius_escaping(tmp_path: Path) -> None:
    """FreeRADIUS escapes unsafe characters before querying a group: every group isk
    writes must consist of safe characters or it never matches its own rows."""
    repo = write_radius_repo(tmp_path / "isp", coa_port=free_udp())
    state = load_state(repo, cache=False)
    store = desired_store(
        state, standings(state, TODAY), {c: "x" for c in state.customers}, {"r1": "s"}
    )
    for name in store.groups:
        assert set(name) <= SAFE_CHARACTERS, name


def free_udp() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_router_local_pool_is_left_to_the_router_profile(tmp_path: Path) -> None:
    """A group is shared by all RADIUS routers: a pool one router overrides must not be
    forced on it through Framed-Pool (its profile, named by Mikrotik-Group, has it)."""
    repo = write_radius_repo(tmp_path / "isp", coa_port=free_udp())
    profile = repo / "state/profiles/home-20m.yaml"
    profile.write_text(profile.read_text() + "per_router:\n  r1: {remote_address: pool-r1}\n")
    state = load_state(repo, cache=False)
    store = desired_store(
        state, standings(state, TODAY), {c: "x" for c in state.customers}, {"r1": "s"}
    )
    home20 = dict((attr, value) for attr, _, value in store.groups["isk:home-20m"].reply)
    assert home20 == {"Mikrotik-Group": "home-20m", "Mikrotik-Rate-Limit": "20M/20M"}
    home10 = dict((attr, value) for attr, _, value in store.groups["isk:home-10m"].reply)
    assert home10["Framed-Pool"] == "pool-home"
