"""Which routers a pull request's plan may contact, and with which settings (pure parts
of `isk plan --base`), and how plans carry the transport warnings."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import yaml

from isk_reconcile.reconcile.apply import run_apply
from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.reconcile.trust import CHANGED_NOTE, NEW_NOTE, with_base_connections
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.state.loader import load_routers_text, load_state
from isk_reconcile.state.routers import CONNECTION_FIELDS, Router

BASE = b"""
a: {host: 10.0.0.1, tls: true, password_env: ISK_ROUTER_A_PASSWORD, description: old}
b: {host: 10.0.0.2, tls: true}
c: {host: 10.0.0.3, tls: true}
"""


def state_with(routers_yaml: str, tmp_path: Path):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state/routers.yaml").write_text(routers_yaml)
    return load_state(tmp_path, cache=False)


def test_changed_or_new_routers_are_skipped_and_the_rest_take_base_values(
    tmp_path: Path,
) -> None:
    working = state_with(
        "a: {host: 10.0.0.1, tls: true, password_env: ISK_ROUTER_A_PASSWORD, description: new}\n"
        "b: {host: 10.0.0.2, tls: true, port: 9999}\n"
        "c: {host: 10.0.0.3, tls: true, tls_verify: false}\n"
        "d: {host: 10.0.0.4, tls: true}\n",
        tmp_path,
    )
    trusted = with_base_connections(working, load_routers_text(BASE))
    assert set(trusted.skipped) == {"b", "c", "d"}
    assert trusted.skipped["b"] == f"{CHANGED_NOTE} (port)"
    assert trusted.skipped["c"] == f"{CHANGED_NOTE} (tls_verify)"
    assert trusted.skipped["d"] == NEW_NOTE
    # A non-connection field (description) comes from the change; connections from base.
    assert trusted.state.routers["a"].description == "new"
    assert trusted.state.routers["a"].connection() == load_routers_text(BASE)["a"].connection()


def test_every_connection_field_counts() -> None:
    base = Router(name="r", host="10.0.0.1")
    values = {
        "host": "10.6.6.6", "port": 1, "tls": True, "tls_ca": "/x", "tls_verify": False,
        "username": "root", "password_env": "ISK_ROUTER_OTHER", "read_username": "u",
        "read_password_env": "ISK_ROUTER_R_READ", "identity": "someone-else", "backend": "radius",
        "nas_address": "10.6.6.7", "coa_port": 1700, "radius_secret_env": "ISK_ROUTER_R_RADIUS",
    }  # fmt: skip
    state_routers = {}
    for field in CONNECTION_FIELDS:
        if field not in Router.model_fields:
            continue  # added by another part of the project; compared the same way
        update = {field: values[field]}
        if field == "read_username":
            update["read_password_env"] = values["read_password_env"]
        if field == "read_password_env":
            update["read_username"] = values["read_username"]
        state_routers[field] = Router.model_validate({**base.model_dump(), **update})
    for field, changed in state_routers.items():
        assert changed.connection() != base.connection(), field


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_plan_header_warns_of_unverified_tls_and_a_skipped_router_is_not_applied(
    tmp_path: Path,
) -> None:
    routers = {
        "r1": {"host": "127.0.0.1", "port": free_port(), "tls": True, "tls_verify": False,
               "timeout": 1},
        "r2": {"host": "127.0.0.1", "port": free_port(), "timeout": 1},
    }  # fmt: skip
    state = state_with(yaml.safe_dump(routers), tmp_path)
    plan = run_plan(
        state, date(2026, 11, 29), environ={}, skipped={"r2": "router new in this change"}
    )
    assert [router.status for router in plan.routers] == ["error", "skipped"]
    assert plan.warnings == (
        "r1: tls_verify: false: the router's certificate is not checked, anyone on the path "
        "can pose as the router and read the password (set tls_ca instead)",
    )
    assert "warning: r1: tls_verify: false" in render_text(plan).plain
    # A skipped router given changes by hand is refused before anything connects.
    change = Change("delete", "secret", "x", None, "edited in")
    edited = Plan(
        plan.as_of,
        None,
        (RouterPlan("r2", "skipped", changes=(change,), notes=("router new in this change",)),),
    )
    (result,) = run_apply(edited, state, environ={}).routers
    assert result.status == "refused"
    assert result.errors == ("r2: not planned (router new in this change); plan it again",)
