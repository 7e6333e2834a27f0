"""A saved plan is refused on a router edited after the plan was made (SPEC §5).

Edits that *change* an existing entry (not only additions): an attribute of a managed
profile, of a managed secret, of an unmanaged entry. Each is made through the RouterOS
API of a simulated router, as Winbox would, between `isk plan --out` and `isk apply`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from isk_reconcile.reconcile.apply import run_apply
from isk_reconcile.render.plan_json import load_plan, render_json
from isk_reconcile.routeros.connection import connect
from isk_reconcile.routeros.types import PROFILE, SECRET, Write
from isk_reconcile.state.routers import Router
from tests.helpers.isp import (
    API_USER,
    Fleet,
    by_name,
    converge,
    customer,
    password_variable,
    plan,
    repo,
)

EDITS = {
    "managed profile rate-limit": (PROFILE, "home-10m", {"rate-limit": "1M/1M"}),
    "managed profile comment": (PROFILE, "home-20m", {"comment": "isk:profile edited"}),
    "managed secret caller-id": (SECRET, "a", {"caller-id": "AA:BB:CC:DD:EE:01"}),
    "managed secret password": (SECRET, "b", {"password": "typed-in-winbox"}),
    "unmanaged secret profile": (SECRET, "tech", {"profile": "default"}),
}


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1",))


def edit_over_the_api(fleet: Fleet, menu: str, name: str, attrs: dict[str, str]) -> None:
    sim = fleet["r1"]
    router = Router(
        name="r1",
        host="127.0.0.1",
        port=sim.port,
        username=API_USER,
        password_env=password_variable("r1"),
        timeout=5,
    )
    with connect(router, fleet.environ) as client:
        ident = {item.name: item.id for item in getattr(client.read(), menu_field(menu))}[name]
        (result,) = client.execute([[Write(menu, "set", {".id": ident, **attrs}, name)]])
    assert result.ok, result


def menu_field(menu: str) -> str:
    return "profiles" if menu == PROFILE else "secrets"


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_changed_entry_makes_the_saved_plan_stale(
    tmp_path: Path, fleet: Fleet, edit: str
) -> None:
    sim = fleet["r1"]
    customers = {"a": customer("A"), "b": customer("B", profile="home-20m")}
    state = repo(tmp_path, fleet, customers)
    converge(state, fleet)
    sim.add(SECRET, {"name": "tech", "profile": "home-10m", "comment": "by hand"})
    # The change the plan is for: a new customer.
    state = repo(tmp_path, fleet, {**customers, "c": customer("C")})
    saved = render_json(plan(state, fleet), saved=True)
    menu, name, attrs = EDITS[edit]
    edit_over_the_api(fleet, menu, name, attrs)
    report = run_apply(load_plan(saved, state), state, environ=fleet.environ)
    assert [r.status for r in report.routers] == ["stale"]
    assert "c" not in by_name(sim, SECRET)  # nothing written


def test_an_untouched_router_applies_the_saved_plan(tmp_path: Path, fleet: Fleet) -> None:
    """The control: the same sequence without the edit applies."""
    customers = {"a": customer("A"), "b": customer("B", profile="home-20m")}
    state = repo(tmp_path, fleet, customers)
    converge(state, fleet)
    fleet["r1"].add(SECRET, {"name": "tech", "profile": "home-10m", "comment": "by hand"})
    state = repo(tmp_path, fleet, {**customers, "c": customer("C")})
    saved = render_json(plan(state, fleet), saved=True)
    report = run_apply(load_plan(saved, state), state, environ=fleet.environ)
    assert [r.status for r in report.routers] == ["applied"]
    assert "c" in by_name(fleet["r1"], SECRET)
