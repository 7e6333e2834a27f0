"""What the simulated routers of `isk demo` hold before the first plan. Pure.

The routers look as if the repository had been applied yesterday, then life happened:
a package's rate limit was changed by hand, a technician added a test secret, one
customer's password on the router is stale, a customer due for suspension was
re-enabled by hand, a customer who just paid is still disabled, a terminated customer's
secret is still there (and online), a discontinued package is still on a router,
suspended customers are still online, and the newest customer has not been pushed yet.
The first plan therefore shows every verb a reviewer meets in practice: create, update,
enable, disable, disconnect, delete.

A conflict (an unmanaged secret holding a customer's name) is never applied, so it
cannot be part of a plan that must converge: `recreated_by_hand` makes one after the
first apply, for the demo's separate `--adopt` step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.reconcile.comments import secret_comment
from isk_reconcile.reconcile.desired import DesiredRouter, DesiredSecret, desired_state
from isk_reconcile.routeros.types import ACTIVE, POOL, PROFILE, SECRET
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State

HAND_MADE_SECRET = "teknisi-test"
STALE_PASSWORD = "old-password"  # demo data only: what the router holds before the apply
WRONG_RATE_LIMIT = "5M/5M"
OLD_PACKAGE = "home-5m"
HAND_COMMENT = "re-created in winbox after an ONT swap"


@dataclass
class DemoSeed:
    """Per-router snapshots (the shape `SimulatedRouter.load` takes) and what was drifted."""

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)
    # (router, secret name) for the demo's conflict step: an untouched paying customer.
    conflict: tuple[str, str] | None = None


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
            POOL: [_present(pool.attrs) for pool in wanted.pools.values()],
        }
    if newest is not None:
        seed.drift.append(f"customer {newest} is new: not on its router yet")
    involved = {newest} if newest else set()
    paid = _latest_payer(state, now, involved)
    if paid is not None:
        involved.add(paid)
        _still_suspended(state, paid, desired, menus, seed)
    _drift(state, now, desired, menus, seed, involved)
    _leftovers(state, as_of, now, passwords, menus, seed)
    seed.conflict = _conflict_candidate(now, desired, menus, involved)
    for router, content in menus.items():
        seed.snapshots[router] = {"identity": router, "menus": content}
    order = {router: index for index, router in enumerate(menus)}
    seed.drift.sort(key=lambda line: order.get(line.split(":", 1)[0], -1))  # by router
    return seed


def _newest_customer(state: State, now: Mapping[str, Standing]) -> str | None:
    candidates = [c for c in state.customers.values() if now[c.id].access == "enabled"]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.start, c.id)).id


def _latest_payer(state: State, now: Mapping[str, Standing], skip: set[str]) -> str | None:
    """The paying customer with the most recent payment (ties: by id)."""
    best: tuple[date, str] | None = None
    for customer_id, standing in sorted(now.items()):
        if customer_id in skip or standing.cause != "paid":
            continue
        dates = [
            entry.date
            for entry in state.entries_for(customer_id)
            if entry.kind == "payment" and entry.date <= standing.as_of
        ]
        if dates and (best is None or (max(dates), customer_id) > best):
            best = (max(dates), customer_id)
    return best[1] if best else None


def _still_suspended(
    state: State,
    customer_id: str,
    desired: Mapping[str, DesiredRouter],
    menus: dict[str, dict[str, list[dict[str, Any]]]],
    seed: DemoSeed,
) -> None:
    """A customer who paid, but whose account the router still holds suspended."""
    customer = state.customers[customer_id]
    wanted = desired[customer.router]
    secret = next(
        (s for s in menus[customer.router][SECRET] if s["name"] == customer.username), None
    )
    if secret is None:
        return
    if wanted.suspend.mode == "isolate" and wanted.suspend.isolate_profile:
        secret["profile"] = wanted.suspend.isolate_profile
        secret.pop("remote-address", None)
        how = "still isolated"
    else:
        secret["disabled"] = "true"
        how = "still disabled"
    seed.drift.append(f"{customer.router}: customer {customer_id} paid but is {how}")


def _leftovers(
    state: State,
    as_of: date,
    now: Mapping[str, Standing],
    passwords: Mapping[str, str],
    menus: dict[str, dict[str, list[dict[str, Any]]]],
    seed: DemoSeed,
) -> None:
    """What nobody cleaned up: the most recently terminated customer's secret (still
    online) and a discontinued package on the last router."""
    prefix = state.settings.comment_prefix + ":"
    gone = [
        state.customers[customer_id]
        for customer_id, standing in now.items()
        if standing.cause == "terminated" and state.customers[customer_id].router in menus
    ]
    if gone:
        customer = max(gone, key=lambda c: (c.end or as_of, c.id))
        content = menus[customer.router]
        profile = customer.profile_on(customer.end or as_of) or customer.profile.first
        secret = {
            "name": customer.username,
            "service": customer.pppoe.service,
            "profile": profile,
            "comment": secret_comment(prefix, customer),
        }
        plaintext = passwords.get(customer.id) or passwords.get(customer.pppoe.password or "")
        if plaintext:
            secret["password"] = plaintext
        if any(p["name"] == profile for p in content[PROFILE]):
            content[SECRET].append(secret)
            content[ACTIVE].append({"name": customer.username, "service": "pppoe"})
            seed.drift.append(
                f"{customer.router}: terminated customer {customer.id} is still there, online"
            )
    last = list(menus)[-1]
    name = OLD_PACKAGE
    while name in state.profiles:
        name += "-old"
    menus[last][PROFILE].append(
        {"name": name, "rate-limit": "5M/5M", "comment": f"{prefix}profile Paket Rumah 5 Mbps"}
    )
    seed.drift.append(f"{last}: profile {name} of a discontinued package is still there")


def _conflict_candidate(
    now: Mapping[str, Standing],
    desired: Mapping[str, DesiredRouter],
    menus: dict[str, dict[str, list[dict[str, Any]]]],
    involved: set[str],
) -> tuple[str, str] | None:
    """A customer paid up on the first router that no other drift touches, offline."""
    first = next(iter(menus), None)
    if first is None:
        return None
    online = {session["name"] for session in menus[first][ACTIVE]}
    for secret in desired[first].secrets.values():
        standing = now[secret.customer]
        if secret.customer in involved or secret.name in online or standing.cause != "paid":
            continue
        if standing.paid_through is None or standing.paid_through < standing.as_of:
            continue  # in grace: its reason would talk about an unpaid invoice
        if any(s["name"] == secret.name for s in menus[first][SECRET]):
            return (first, secret.name)
    return None


def recreated_by_hand(snapshot: Mapping[str, Any], name: str) -> dict[str, Any]:
    """`snapshot` (as `SimulatedRouter.dump` gives it) with secret `name` deleted and
    re-created by hand in Winbox: the same account, without the ownership comment."""
    menus = {menu: [dict(item) for item in items] for menu, items in snapshot["menus"].items()}
    secrets = menus[SECRET]
    for index, item in enumerate(secrets):
        if item["name"] == name:
            remade = {key: value for key, value in item.items() if key != ".id"}
            remade["comment"] = HAND_COMMENT
            menus[SECRET] = [*secrets[:index], *secrets[index + 1 :], remade]  # a new id
            break
    return {**snapshot, "menus": menus}


def _drift(
    state: State,
    now: Mapping[str, Standing],
    desired: Mapping[str, DesiredRouter],
    menus: dict[str, dict[str, list[dict[str, Any]]]],
    seed: DemoSeed,
    involved: set[str],
) -> None:
    if not menus:
        return
    _hand_edits(menus, seed)
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
            if secret is None or customer_id in involved:
                continue
            session = {"name": customer.username, "service": "pppoe"}
            if customer.pppoe.caller_id:
                session["caller-id"] = customer.pppoe.caller_id
            if standing.access == "suspended":
                wanted = desired[router].secrets[customer.username]
                reenable = not reenabled_done and standing.cause == "unpaid"
                _suspended_online(router, customer, standing, wanted, secret, seed, reenable)
                reenabled_done = reenabled_done or reenable
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


def _hand_edits(menus: dict[str, dict[str, list[dict[str, Any]]]], seed: DemoSeed) -> None:
    """On the first router: a profile's rate limit changed and a secret added by hand."""
    first = next(iter(menus))
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


def _suspended_online(
    router: str,
    customer: Customer,
    standing: Standing,
    wanted: DesiredSecret,
    secret: dict[str, Any],
    seed: DemoSeed,
    reenable: bool,
) -> None:
    """A suspended customer who is online: re-enabled by hand when `reenable`, else
    left as it is (isolated or not), and the drift said."""
    customer_id = customer.id
    if reenable:
        # As if a technician re-enabled it by hand (or the suspension is due today).
        secret["disabled"] = "false"
        if wanted.isolated:
            package = standing.profile or customer.profile_on(standing.as_of)
            secret["profile"] = package or secret["profile"]
            if customer.pppoe.remote_address:
                secret["remote-address"] = customer.pppoe.remote_address
        seed.drift.append(f"{router}: overdue customer {customer_id} is enabled")
    elif wanted.isolated:
        seed.drift.append(
            f"{router}: isolated customer {customer_id} is online "
            "(in the walled garden: left alone)"
        )
    else:
        seed.drift.append(f"{router}: suspended customer {customer_id} is online")


@dataclass(frozen=True)
class EverydayEdits:
    """The demo's office work on a scratch copy: an upgrade and a hold (argv of `isk`)."""

    upgrade: tuple[str, ...] | None
    hold: tuple[str, ...] | None


def everyday_edits(state: State, as_of: date) -> EverydayEdits:
    """A paying customer moves to a dearer package on its router (from the next period);
    another goes abroad: a two-month hold from tomorrow."""
    now = standings(state, as_of)
    paying = [cid for cid, found in sorted(now.items()) if found.cause == "paid"]
    upgrade = None
    for customer_id in paying:
        customer = state.customers[customer_id]
        current = customer.profile.changes[-1]
        if current.from_ > as_of:
            continue
        price = state.profiles[current.value].price_on(as_of) or 0
        dearer = sorted(
            (package.price_on(as_of) or 0, name)
            for name, package in state.profiles.items()
            if package.price is not None
            and package.on_router(customer.router)
            and (package.price_on(as_of) or 0) > price
        )
        if dearer:
            upgrade = ("customer", "set-profile", customer_id, dearer[0][1])
            break
    hold = None
    for customer_id in paying:
        if upgrade is not None and customer_id == upgrade[2]:
            continue
        start = as_of + timedelta(days=1)
        until = start + timedelta(days=60)
        hold = (
            "customer", "hold", customer_id, "--from", start.isoformat(),
            "--until", until.isoformat(), "--reason", "abroad for two months",
        )  # fmt: skip
        break
    return EverydayEdits(upgrade, hold)
