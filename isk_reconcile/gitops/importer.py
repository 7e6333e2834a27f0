"""Adopting an existing router: state files for what it already holds (`isk import`).

Pure: from a router's live state and the repository's state, the text of the files to
write. Each imported customer is marked `adopt: true` and carries the live values, so
the first `isk apply --adopt` only writes the ownership comment; the working accounts
are not changed.

Prices: the router does not know what a package costs. A price given on the command
line (`--price NAME=AMOUNT`) is written into the profile; a profile without one is
written with no price (not sellable) and a TODO, and the customers on it are imported
as `status: free` (never billed, always on) with a TODO, so nothing is cut off until
the admin sets the price and switches them to `status: active`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from isk_reconcile.routeros.normalize import FALSE_WORDS, TRUE_WORDS
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.model import CUSTOMER_ID, NAME, RESERVED_PROFILES, State
from isk_reconcile.state.writer import yaml_scalar


@dataclass(frozen=True)
class ImportResult:
    files: Mapping[str, str]  # path relative to the repo -> text
    profiles: tuple[str, ...]
    customers: tuple[str, ...]
    skipped: tuple[str, ...]  # one sentence per thing not imported, and why
    unpriced: tuple[str, ...]  # imported profiles that still need a price
    free_customers: tuple[str, ...] = field(
        default=()
    )  # imported as free: their profile has no price


def import_router(
    state: State,
    live: LiveState,
    as_of: date,
    encrypt: Callable[[str], str],
    prices: Mapping[str, int] | None = None,
) -> ImportResult:
    """Files for the profiles and secrets of `live` that the repository does not have yet."""
    prices = dict(prices or {})
    router = live.router
    files: dict[str, str] = {}
    skipped: list[str] = []
    known_profiles = {name.lower() for name in state.profiles}
    new_profiles: dict[str, LiveItem] = {}
    for item in sorted(live.profiles, key=lambda item: item.name):
        name = item.name
        if name in RESERVED_PROFILES or item.attrs.get("default") in TRUE_WORDS:
            continue
        if name.lower() in known_profiles:
            continue
        if not NAME.match(name):
            skipped.append(f"profile {name!r}: the name is not valid in state/profiles")
            continue
        new_profiles[name] = item
        known_profiles.add(name.lower())
    unpriced = tuple(sorted(name for name in new_profiles if name not in prices))
    for name, item in new_profiles.items():
        files[f"state/profiles/{name}.yaml"] = profile_document(item, router, prices.get(name))

    sellable = {name for name, profile in state.profiles.items() if profile.price is not None}
    sellable |= {name for name in new_profiles if name in prices}
    usable = set(state.profiles) | set(new_profiles)
    taken_usernames = {c.username for c in state.customers.values() if c.router == router}
    taken_ids = {customer_id.lower() for customer_id in state.customers}
    customers: list[str] = []
    free: list[str] = []
    for item in sorted(live.secrets, key=lambda item: item.name):
        username = item.name
        if username in taken_usernames:
            continue
        profile = item.attrs.get("profile") or "default"
        if profile not in usable:
            skipped.append(
                f"secret {username!r}: its profile {profile!r} cannot be managed "
                "(a built-in or invalid name): move it to a real package on the router first"
            )
            continue
        is_free = profile not in sellable
        if is_free and item.attrs.get("disabled", "") in TRUE_WORDS:
            # Suspended needs a billable package, free would switch the account on.
            skipped.append(
                f"secret {username!r}: disabled, on package {profile!r} which has no price: "
                f"rerun with --price {profile}=AMOUNT"
            )
            continue
        customer_id = customer_id_for(username, taken_ids)
        taken_ids.add(customer_id)
        password = item.attrs.get("password")
        ciphertext = encrypt(password) if password else None
        files[f"state/customers/{customer_id}.yaml"] = customer_document(
            customer_id, item, router, as_of, ciphertext, free=is_free
        )
        customers.append(customer_id)
        if is_free:
            free.append(customer_id)
    return ImportResult(
        files=files,
        profiles=tuple(new_profiles),
        customers=tuple(customers),
        skipped=tuple(skipped),
        unpriced=unpriced,
        free_customers=tuple(free),
    )


def customer_id_for(username: str, taken: set[str]) -> str:
    """A valid, unused customer id that resembles the PPPoE username."""
    base = re.sub(r"[^a-z0-9._-]+", "-", username.lower())
    base = re.sub(r"^[^a-z0-9]+", "", base)[:63] or "customer"
    candidate, number = base, 1
    while candidate in taken or not CUSTOMER_ID.match(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: 63 - len(suffix)] + suffix
    return candidate


def profile_document(item: LiveItem, router: str, price: int | None) -> str:
    attrs = item.attrs
    lines = [
        f"# Package {item.name}: imported from router {router} by `isk import`.",
        "# Its settings are the router's; the first `isk apply --adopt` only marks it as managed.",
        f"description: {yaml_scalar(attrs.get('comment', ''))}",
    ]
    if price is None:
        lines += [
            "# TODO: set the monthly price of this package in rupiah, e.g. `price: 150000`.",
            "# Until then it is not sellable: its imported customers are `status: free`.",
        ]
    else:
        lines.append(f"price: {price}")
    simple = (
        ("rate-limit", "rate_limit"),
        ("local-address", "local_address"),
        ("remote-address", "remote_address"),
        ("address-list", "address_list"),
        ("parent-queue", "parent_queue"),
    )
    for wire, key in simple:
        value = attrs.get(wire)
        if value:
            lines.append(f"{key}: {yaml_scalar(value)}")
    servers = [part.strip() for part in attrs.get("dns-server", "").split(",") if part.strip()]
    if servers:
        lines.append("dns_server: [" + ", ".join(yaml_scalar(s) for s in servers) + "]")
    only_one = attrs.get("only-one", "")
    if only_one in TRUE_WORDS | FALSE_WORDS:
        lines.append(f"only_one: {'true' if only_one in TRUE_WORDS else 'false'}")
    lines.append(f"routers: [{yaml_scalar(router)}]  # only on the router it came from")
    return "\n".join(lines) + "\n"


def customer_document(
    customer_id: str,
    item: LiveItem,
    router: str,
    as_of: date,
    password: str | None,
    *,
    free: bool,
) -> str:
    attrs = item.attrs
    comment = attrs.get("comment", "").strip()
    disabled = attrs.get("disabled", "") in TRUE_WORDS
    lines = [
        f"# Customer {customer_id}: imported from router {router} by `isk import`.",
        "# TODO: check name and phone, set `start` to the real service start (billing starts",
        "# there) and record the last payment with `isk pay`. Keep `adopt: true` while the",
        "# file has no password (the router keeps its own); else it can go after the first apply.",
        f"name: {yaml_scalar(comment or item.name)}",
        f"router: {yaml_scalar(router)}",
        f"start: {as_of.isoformat()}",
        f"profile: {yaml_scalar(attrs.get('profile', 'default'))}",
    ]
    if disabled:
        lines += ["status: suspended", 'suspend_reason: "imported disabled"']
    elif free:
        lines.append(
            "status: free  # TODO: the package has no price yet; set it, then `status: active`"
        )
    else:
        lines.append("status: active")
    lines += ["pppoe:", f"  username: {yaml_scalar(item.name)}"]
    if password is not None:
        lines.append(f"  password: {yaml_scalar(password)}")
    else:
        lines.append("  # password: not readable over the API (user lacks the sensitive policy)")
    service = attrs.get("service", "")
    if service and service != "pppoe":
        lines.append(f"  service: {yaml_scalar(service)}")
    for wire, key in (("remote-address", "remote_address"), ("caller-id", "caller_id")):
        value = attrs.get(wire)
        if value:
            lines.append(f"  {key}: {yaml_scalar(value)}")
    lines.append("adopt: true  # take over the live secret as it is on the first apply")
    if comment:
        lines.append(f"notes: {yaml_scalar(comment)}")
    return "\n".join(lines) + "\n"
