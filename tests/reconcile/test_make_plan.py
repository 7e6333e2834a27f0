"""make_plan over a fleet: routers in routers.yaml order, one router's failure (unreadable,
or a password that does not decrypt) does not stop the others, each router's own safety
limits, and --adopt recorded in the plan."""

from __future__ import annotations

from pathlib import Path

from isk_reconcile.billing.engine import standings
from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.desired import desired_state
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.routeros.types import LiveItem
from tests.helpers.isp import AS_OF, applied, customer, desired_for, load, with_items, write_repo


def test_each_router_is_planned_on_its_own(tmp_path: Path) -> None:
    strict = {"min_managed": 0, "max_delete_percent": 0}
    routers = {
        "r1": {"host": "127.0.0.1", "port": 8728},
        "r2": {"host": "127.0.0.1", "port": 8729},
        "r3": {"host": "127.0.0.1", "port": 8730, "safety": strict},
    }
    customers = {
        "b": customer("B", router="r2", pppoe={"password": "age:not-really"}),
        "c": customer("C", router="r3"),
    }
    root = write_repo(tmp_path, customers, routers=routers)
    state = load(root)
    stray = LiveItem("*S9", {"name": "zz", "comment": "isk:zz Zed", "profile": "home-10m"})
    live = {
        "r3": with_items(applied(desired_for(root, "r3")), secrets=(stray,)),
        "r2": applied(desired_for(root, "r3")),
        "r1": RouterError("r1", "connection refused"),
    }
    plan = make_plan(state, AS_OF, standings(state, AS_OF), live, passwords={"c": "pw"},
                     adopt=True)  # fmt: skip
    assert [(r.router, r.status) for r in plan.routers] == [
        ("r1", "error"),
        ("r2", "error"),
        ("r3", "unsafe"),  # r3's own limits: deleting 1 of 2 is over 0%
    ]
    assert plan.routers[0].error == "r1: connection refused"
    assert plan.routers[1].error.startswith("r2: customer b: password could not be decrypted")
    assert plan.adopt is True


def test_the_plan_keeps_what_it_was_made_from_and_reuses_known_desired_states(
    tmp_path: Path,
) -> None:
    """apply verifies against plan.basis (the same standings, passwords and desired
    states, not made again): the basis must hold exactly those, and a re-plan given
    them reuses each router's desired state and plans the same."""
    routers = {"r1": {"host": "127.0.0.1", "port": 8728}, "r2": {"host": "127.0.0.1", "port": 8729}}
    customers = {"c": customer("C", router="r1"), "d": customer("D", router="r2")}
    root = write_repo(tmp_path, customers, routers=routers)
    state = load(root)
    owed = standings(state, AS_OF)
    passwords = {"c": "pw", "d": "pw"}
    live = {name: applied(desired_for(root, name)) for name in ("r1", "r2")}
    first = make_plan(state, AS_OF, owed, live, passwords=passwords)
    basis = first.basis
    assert basis is not None
    assert basis.state is state and basis.standings is owed and basis.passwords is passwords
    assert dict(basis.desired) == {
        name: desired_state(state, owed, name, passwords) for name in ("r1", "r2")
    }
    again = make_plan(state, AS_OF, owed, live, passwords=passwords, known=basis.desired)
    assert again.routers == first.routers
    assert again.basis is not None
    assert all(again.basis.desired[name] is basis.desired[name] for name in ("r1", "r2"))
