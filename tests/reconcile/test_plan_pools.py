"""Pools in the plan: a managed pool no longer declared is deleted showing what it held."""

from __future__ import annotations

from isk_reconcile.reconcile.desired import DesiredRouter
from isk_reconcile.reconcile.plan import plan_pools
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.settings import SuspendSettings

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
