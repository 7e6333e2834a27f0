"""What the simulated routers of `isk demo` hold before the first plan. Pure.

The routers look as if the repository had been applied yesterday, then life happened:
a package's rate limit was changed by hand, a technician added a test secret, one
customer's password on the router is stale, a customer due for suspension was
re-enabled by hand, suspended customers are still online, and the newest customer has
not been pushed yet. The first plan therefore shows every kind of change a reviewer
meets in practice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from isk_reconcile.billing import Standing, standings
from isk_reconcile.desired import DesiredRouter, desired_state
from isk_reconcile.model import State
from isk_reconcile.routeros.types import ACTIVE, PROFILE, SECRET

HAND_MADE_SECRET = "teknisi-test"
STALE_PASSWORD = "old-password"  # demo data only: what the router holds before the apply
WRONG_RATE_LIMIT = "5M/5M"


@dataclass
class DemoSeed:
    """Per-router snapshots (the shape `SimulatedRouter.load` takes) and what was drifted."""

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)


def _present(attrs: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in attrs.items() if value != ""}


def demo_seed(state: State, as_of: date, passwords: Mapping[str, str]) -> DemoSeed:
    yesterday = as_of - timedelta(days=1)
    before = standings(state, yesterday)
    now = standings(state, as_of)
    desired = {router: desired_state(state, before, router, passwords) for router in state.routers}
    seed = DemoSeed()
    newest = _newest_customer(state, now)
    menus: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for router, wanted in desired.items():
        secrets = {
            name: _present(secret.attrs)
            for name, secret in wanted.secrets.items()
            if secret.customer != newest
        }
        menus[router] = {
            PROFILE: [_present(profile.attrs) for profile in wanted.profiles.values()],
            SECRET: list(secrets.values()),
            ACTIVE: [],
        }
    if newest is not None:
        seed.drift.append(f"customer {newest} is new: not on its router yet")
    _drift(state, now, desired, menus, seed, newest)
    for router, content in menus.items():
        seed.snapshots[router] = {"identity": router, "menus": content}
    return seed


def _newest_customer(state: State, now: Mapping[str, Standing]) -> str | None:
    candidates = [c for c in state.customers.values() if now[c.id].access == "enabled"]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.start, c.id)).id


def _drift(
    state: State,
    now: Mapping[str, Standing],
    desired: Mapping[str, DesiredRouter],
    menus: dict[str, dict[str, list[dict[str, Any]]]],
    seed: DemoSeed,
    newest: str | None,
) -> None:
    first = next(iter(menus), None)
    if first is None:
        return
    profiles = menus[first][PROFILE]
    if profiles:
        changed = next((p for p in profiles if p.get("rate-limit") != WRONG_RATE_LIMIT), None)
        if changed is not None:
            seed.drift.append(
                f"{first}: profile {changed['name']} rate-limit changed by hand to "
                f"{WRONG_RATE_LIMIT} (repo: {changed.get('rate-limit', 'none')})"
            )
            changed["rate-limit"] = WRONG_RATE_LIMIT
    menus[first][SECRET].append(
        {
            "name": HAND_MADE_SECRET,
            "password": "test123",
            "profile": "default",
            "service": "pppoe",
            "comment": "test CPE, added in winbox",
        }
    )
    seed.drift.append(f"{first}: unmanaged secret {HAND_MADE_SECRET} added by a technician")

    by_router: dict[str, list[str]] = {}
    for customer in sorted(state.customers.values(), key=lambda c: c.id):
        by_router.setdefault(customer.router, []).append(customer.id)

    stale_done = False
    for router, content in menus.items():
        reenabled_done = False  # one per router keeps every plan within the safety limits
        secrets = {secret["name"]: secret for secret in content[SECRET]}
        online = 0
        for customer_id in by_router.get(router, []):
            customer = state.customers[customer_id]
            secret = secrets.get(customer.username)
            standing = now[customer_id]
            if secret is None or customer_id == newest:
                continue
            session = {"name": customer.username, "service": "pppoe"}
            if customer.pppoe.caller_id:
                session["caller-id"] = customer.pppoe.caller_id
            if standing.access == "suspended":
                wanted = desired[router].secrets[customer.username]
                if not reenabled_done and standing.cause == "unpaid":
                    # As if a technician re-enabled it by hand (or the suspension is due today).
                    secret["disabled"] = "false"
                    if wanted.isolated:
                        package = standing.profile or customer.profile_on(standing.as_of)
                        secret["profile"] = package or secret["profile"]
                        if customer.pppoe.remote_address:
                            secret["remote-address"] = customer.pppoe.remote_address
                    reenabled_done = True
                    seed.drift.append(f"{router}: overdue customer {customer_id} is enabled")
                elif wanted.isolated:
                    seed.drift.append(f"{router}: isolated customer {customer_id} is online")
                else:
                    seed.drift.append(f"{router}: suspended customer {customer_id} is online")
                content[ACTIVE].append(session)
                continue
            if not stale_done and "password" in secret:
                secret["password"] = STALE_PASSWORD
                stale_done = True
                content[ACTIVE].append(session)
                seed.drift.append(f"{router}: customer {customer_id} has a stale password")
                continue
            if online < 3 and standing.access == "enabled":
                content[ACTIVE].append(session)  # paying customers online: left alone
                online += 1
