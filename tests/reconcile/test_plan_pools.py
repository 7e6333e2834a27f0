"""Pools in the plan: a managed pool no longer declared is deleted showing what it held."""

from __future__ import annotations

from pathlib import Path

from isk_reconcile.reconcile.desired import DesiredRouter
from isk_reconcile.reconcile.plan import plan_pools
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.settings import SuspendSettings
from tests.helpers.isp import customer, desired, write_repo

DESIRED = DesiredRouter(router="r1", prefix="isk:", suspend=SuspendSettings(), profiles={},
                        secrets={})  # fmt: skip


def test_a_managed_pool_no_longer_declared_is_deleted_with_its_ranges() -> None:
    old = LiveItem("*1", {"name": "pool-old", "ranges": "10.9.0.2-10.9.0.254",
                          "comment": "isk:pool old block"})  # fmt: skip
    mine = LiveItem("*2", {"name": "pool-hand", "ranges": "10.8.0.2-10.8.0.9"})
    live = LiveState("r1", profiles=(), secrets=(), active=(), pools=(old, mine))
    changes, unmanaged, notes = plan_pools(DESIRED, live, {}, adopt=False)
    assert unmanaged == 1 and notes == []
    (delete,) = changes
    assert (delete.action, delete.kind, delete.name) == ("delete", "pool", "pool-old")
    assert delete.reason == "IP pool pool-old is no longer in routers.yaml"
    assert delete.fields == {
        "comment": ("isk:pool old block", None),
        "ranges": ("10.9.0.2-10.9.0.254", None),
    }


def _declared(tmp_path: Path) -> DesiredRouter:
    pools = {
        "pool-new": {"ranges": ["10.1.0.2-10.1.0.9"]},
        "pool-owned": {"ranges": ["10.2.0.2-10.2.0.9"], "comment": "mine"},
        "pool-hand": {"ranges": ["10.3.0.2-10.3.0.9"]},
        "pool-ident": {"ranges": ["10.4.0.2-10.4.0.9"]},
    }
    routers = {"r1": {"host": "127.0.0.1", "port": 8728, "pools": pools}}
    return desired(write_repo(tmp_path, {"a": customer("A")}, routers=routers))


def _router_pools(wanted: DesiredRouter) -> LiveState:
    owned = LiveItem("*1", {**wanted.pools["pool-owned"].attrs, "ranges": "10.2.0.2-10.2.0.5"})
    hand = LiveItem("*2", {"name": "pool-hand", "ranges": "10.3.0.2-10.3.0.5"})
    same = LiveItem("*3", {**wanted.pools["pool-ident"].attrs})
    return LiveState("r1", profiles=(), secrets=(), active=(), pools=(owned, hand, same))


def test_declared_pools_are_created_changed_or_in_conflict(tmp_path: Path) -> None:
    wanted = _declared(tmp_path)
    changes, unmanaged, notes = plan_pools(wanted, _router_pools(wanted), {}, adopt=False)
    assert [(c.action, c.kind, c.name, c.reason) for c in changes] == [
        ("conflict", "pool", "pool-hand",
         "an unmanaged pool named pool-hand already exists on the router; --adopt takes it "
         "over"),
        ("create", "pool", "pool-new", "IP pool declared in routers.yaml"),
        ("update", "pool", "pool-owned", "IP pool changed in routers.yaml"),
    ]  # fmt: skip
    assert changes[1].target == {
        "name": "pool-new", "ranges": "10.1.0.2-10.1.0.9", "comment": "isk:pool"
    }  # fmt: skip
    assert changes[2].fields == {"ranges": ("10.2.0.2-10.2.0.5", "10.2.0.2-10.2.0.9")}
    assert (unmanaged, notes) == (1, [])


def test_an_unmanaged_pool_is_taken_over_only_with_adopt(tmp_path: Path) -> None:
    wanted = _declared(tmp_path)
    changes, _, _ = plan_pools(wanted, _router_pools(wanted), {}, adopt=True)
    adopted = [c for c in changes if c.name == "pool-hand"]
    assert [(c.action, c.reason) for c in adopted] == [("update", "adopted with --adopt")]


def test_a_retired_pool_still_in_use_is_kept_with_a_note() -> None:
    old = LiveItem("*1", {"name": "pool-old", "ranges": "10.9.0.2-10.9.0.9", "comment": "isk:pool"})
    user = LiveItem("*2", {"name": "hand-made", "remote-address": "pool-old"})
    live = LiveState("r1", profiles=(user,), secrets=(), active=(), pools=(old,))
    changes, unmanaged, notes = plan_pools(DESIRED, live, {}, adopt=False)
    assert (changes, unmanaged) == ([], 0)
    assert notes == ["IP pool pool-old kept: no longer in routers.yaml but still in use"]
