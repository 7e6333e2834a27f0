"""Small state repositories written in tmp_path, simulated fleets, plan/apply shortcuts and
hand-built live router states: what the reconciler and command-line tests share."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from isk_reconcile.billing.engine import standings
from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.apply import run_apply
from isk_reconcile.reconcile.desired import DesiredRouter, desired_state
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.reconcile.plan_types import Change, Plan
from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State

AS_OF = date(2026, 11, 29)


PROFILES: dict[str, dict[str, Any]] = {
    "home-10m": {
        "description": "Paket Rumah 10 Mbps",
        "price": 150000,
        "rate_limit": "10000k/10M",
        "local_address": "10.20.0.1",
        "remote_address": "pool-home",
        "dns_server": ["10.20.0.1", "1.1.1.1"],
        "only_one": True,
    },
    "home-20m": {"description": "Paket Rumah 20 Mbps", "price": 200000, "rate_limit": "20M/20M"},
    "isolir": {"description": "Isolir", "rate_limit": "512k/512k", "address_list": "isolir"},
}


def customer(
    name: str,
    *,
    router: str = "r1",
    profile: str = "home-10m",
    status: str = "free",
    password: str | None = "s3cret-pw",
    **extra: Any,
) -> dict[str, Any]:
    """A customer document; `free` keeps billing out of the way unless a test wants it."""
    document: dict[str, Any] = {
        "name": name,
        "router": router,
        "start": "2026-01-01",
        "profile": profile,
        "status": status,
    }
    pppoe = dict(extra.pop("pppoe", {}))
    if password is not None:
        pppoe["password"] = password
    if pppoe:
        document["pppoe"] = pppoe
    document.update(extra)
    return document


def write_repo(
    root: Path,
    customers: dict[str, dict[str, Any]],
    *,
    routers: dict[str, dict[str, Any]] | None = None,
    profiles: dict[str, dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    payments: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a small state repository (plaintext passwords allowed) and return its path."""
    (root / "state" / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "state" / "customers").mkdir(parents=True, exist_ok=True)
    (root / "payments").mkdir(exist_ok=True)
    base: dict[str, Any] = {
        "billing": {"cycle": "monthly", "mode": "prepaid", "grace_days": 3},
        "secrets": {"allow_plaintext": True},
    }
    base.update(settings or {})
    dump = {"sort_keys": False, "allow_unicode": True}
    (root / "state" / "settings.yaml").write_text(yaml.safe_dump(base, **dump))
    routers = routers or {"r1": {"host": "127.0.0.1", "port": 8728}}
    (root / "state" / "routers.yaml").write_text(yaml.safe_dump(routers, **dump))
    for path in (root / "state" / "profiles").glob("*.yaml"):
        path.unlink()
    for path in (root / "state" / "customers").glob("*.yaml"):
        path.unlink()
    for name, document in (PROFILES if profiles is None else profiles).items():
        (root / "state" / "profiles" / f"{name}.yaml").write_text(yaml.safe_dump(document, **dump))
    for cid, document in customers.items():
        (root / "state" / "customers" / f"{cid}.yaml").write_text(yaml.safe_dump(document, **dump))
    (root / "payments" / "ledger.yaml").write_text(yaml.safe_dump(payments or [], **dump))
    return root


def load(root: Path) -> State:
    return load_state(root, cache=False)


def plaintext_passwords(state: State) -> dict[str, str]:
    return {cid: c.pppoe.password for cid, c in state.customers.items() if c.pppoe.password}


def desired_for(root: Path, router: str = "r1", as_of: date = AS_OF):
    state = load(root)
    return desired_state(state, standings(state, as_of), router, plaintext_passwords(state))


# --- simulated routers and the plan/apply round trip ---


API_USER = "isk-api"


PROFILE = "/ppp/profile"


SECRET = "/ppp/secret"


ACTIVE = "/ppp/active"


def password_variable(name: str) -> str:
    return f"ISK_ROUTER_TEST_{name.upper().replace('-', '_')}_PASSWORD"


class Fleet:
    """Simulated routers plus the matching routers.yaml entries and environment."""

    def __init__(self, stack: ExitStack, names: tuple[str, ...], version: str = "7.16.2"):
        self.sims: dict[str, SimulatedRouter] = {}
        self.environ: dict[str, str] = {}
        self.routers: dict[str, dict[str, Any]] = {}
        for name in names:
            secret = f"pw-{name}"
            sim = stack.enter_context(
                SimulatedRouter(identity=name, users={API_USER: secret}, version=version)
            )
            # the pool the test packages name, made by hand on the router (unmanaged)
            sim.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"})
            self.sims[name] = sim
            self.environ[password_variable(name)] = secret
            self.routers[name] = {
                "host": "127.0.0.1",
                "port": sim.port,
                "username": API_USER,
                "password_env": password_variable(name),
                "timeout": 5,
            }

    def __getitem__(self, name: str) -> SimulatedRouter:
        return self.sims[name]


def repo(tmp_path: Path, fleet: Fleet, customers: dict[str, dict[str, Any]], **kw: Any) -> State:
    routers = kw.pop("routers", None) or fleet.routers
    write_repo(tmp_path, customers, routers=routers, **kw)
    return load_state(tmp_path, cache=False)


def plan(state: State, fleet: Fleet, as_of: date = AS_OF, **kw: Any) -> Plan:
    return run_plan(state, as_of, environ=fleet.environ, **kw)


def converge(state: State, fleet: Fleet, **kw: Any) -> Plan:
    """Plan, apply, and return the plan made right after (must be empty)."""
    report = run_apply(plan(state, fleet), state, environ=fleet.environ, **kw)
    assert report.ok, report
    return plan(state, fleet)


def names(sim: SimulatedRouter, menu: str) -> list[str]:
    return sorted(item["name"] for item in sim.items(menu))


def by_name(sim: SimulatedRouter, menu: str) -> dict[str, dict[str, str]]:
    return {item["name"]: item for item in sim.items(menu)}


# --- live states built by hand ---


BUILTINS = (
    LiveItem("*0", {"name": "default", "default": "true"}),
    LiveItem("*FFFFFFFE", {"name": "default-encryption", "default": "true"}),
)


# The pool the test packages name, made by hand on every test router (unmanaged).
HAND_MADE_POOLS = (LiveItem("*P1", {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"}),)


def applied(desired: DesiredRouter, **overrides: Mapping[str, str]) -> LiveState:
    """A router that holds exactly `desired` (empty fields absent), with per-name overrides."""
    counter = iter(range(1, 10_000))

    def item(attrs: Mapping[str, str]) -> LiveItem:
        merged = {k: v for k, v in attrs.items() if v != ""}
        merged.update(overrides.get(attrs["name"], {}))
        return LiveItem(f"*{next(counter):X}", {k: v for k, v in merged.items() if v is not None})

    return LiveState(
        router=desired.router,
        profiles=BUILTINS + tuple(item(p.attrs) for p in desired.profiles.values()),
        secrets=tuple(item(s.attrs) for s in desired.secrets.values()),
        active=(),
        pools=HAND_MADE_POOLS,
    )


def with_items(
    live: LiveState,
    *,
    profiles: tuple[LiveItem, ...] = (),
    secrets: tuple[LiveItem, ...] = (),
    active: tuple[str, ...] = (),
) -> LiveState:
    sessions = tuple(LiveItem(f"*A{i}", {"name": name}) for i, name in enumerate(active))
    return LiveState(
        live.router,
        live.profiles + profiles,
        live.secrets + secrets,
        live.active + sessions,
        live.pools,
    )


def plan_for(root: Path, live: LiveState | RouterError, as_of: date = AS_OF, **kw) -> Plan:
    state = load(root)
    return make_plan(
        state,
        as_of,
        standings(state, as_of),
        {"r1": live},
        passwords=plaintext_passwords(state),
        **kw,
    )


def desired(root: Path, as_of: date = AS_OF) -> DesiredRouter:
    state = load(root)
    return desired_state(state, standings(state, as_of), "r1", plaintext_passwords(state))


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    """(action, kind, name) of every change on the plan's only router."""
    return [(c.action, c.kind, c.name) for c in plan.routers[0].changes]


def only(plan: Plan, action: str, name: str) -> Change:
    """The one change of that action on that entry."""
    (found,) = [c for c in plan.routers[0].changes if c.action == action and c.name == name]
    return found
