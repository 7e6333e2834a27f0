"""Desired RADIUS store (docs/radius.md): the repository as FreeRADIUS's stock SQL rows. Pure.

Ownership. The stock tables have no comment column, so the `isk:` marker of the routers
goes where the schema has a name of our choosing: the group name. Every group isk writes
is named `<prefix>:<...>` (`isk:home-10m`, `isk:@reject`), and a user is isk's exactly
when it is a member of an `isk:` group; every managed user is a member of exactly one.
Nothing outside the stock schema is needed (no extra table to create, replicate or back
up), a person reading radusergroup sees the marker, and hand-made users and groups
(no `isk:` membership or name) are never read as ours. Of a managed user, isk owns only
the attributes it writes (MANAGED_CHECK, MANAGED_REPLY): a hand-made extra reply
attribute on a managed user is left alone. `nas` rows are isk's when their
`description` starts with the prefix.

Suspension is a group change: a disabled customer moves to the reject group (whose
check item `Auth-Type := Reject` makes FreeRADIUS refuse the login whatever the
password), an isolated one to the isolate profile's group. Group names after the
prefix are profile names (which start with a letter or digit) or `@reject`, so they
cannot collide.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from isk_reconcile.billing.engine import Access, Standing
from isk_reconcile.errors import IskError
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router

# (attribute, op, value): one row of radcheck/radreply/radgroupcheck/radgroupreply.
Attr = tuple[str, str, str]
# The per-user attributes isk writes; any other attribute of a managed user is left alone.
MANAGED_CHECK = ("Cleartext-Password", "Simultaneous-Use", "Calling-Station-Id")
MANAGED_REPLY = ("Framed-IP-Address",)
# FreeRADIUS escapes any character outside its sql `safe_characters` (default letters,
# digits and "@.-_: /") before it queries a group or user name: a name with another
# character never matches its own rows. "@" is safe and cannot start a profile name.
REJECT_GROUP = "@reject"
SAFE_CHARACTERS = frozenset("@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_: /")
GROUP_PRIORITY = 10  # after hand-made groups an operator may add at 0..9


@dataclass(frozen=True)
class DesiredGroup:
    name: str  # with the prefix
    check: frozenset[Attr]
    reply: frozenset[Attr]
    reason: str


@dataclass(frozen=True)
class DesiredUser:
    """One RADIUS user. The Cleartext-Password row holds plaintext: never shown."""

    username: str
    customer: str
    router: str
    access: Access
    isolated: bool
    reason: str
    group: str  # with the prefix
    check: frozenset[Attr] = field(repr=False)
    reply: frozenset[Attr]
    password_source: str | None = field(default=None, repr=False)
    adopt: bool = False


@dataclass(frozen=True)
class DesiredNas:
    nasname: str
    shortname: str
    secret: str = field(repr=False)
    description: str


@dataclass(frozen=True)
class DesiredStore:
    prefix: str
    groups: Mapping[str, DesiredGroup]
    users: Mapping[str, DesiredUser]  # by username
    nas: Mapping[str, DesiredNas]  # by nasname
    absent: Mapping[str, str]  # customer id -> why its account must not exist
    placement: Mapping[str, str]  # customer id -> username (customers on RADIUS routers)
    sessions_cut: bool  # settings.suspend.disconnect of the RADIUS routers
    # The reject group and the isolate groups: leaving one is an `enable`.
    suspension_groups: frozenset[str] = frozenset()


def radius_routers(state: State) -> tuple[Router, ...]:
    return tuple(router for router in state.routers.values() if router.backend == "radius")


def group_attrs(profile: Profile, routers: frozenset[str] = frozenset()) -> frozenset[Attr]:
    """The reply items of a package's group: the router profile by name (its pool, DNS,
    address list, queue come from the profile isk pushes through the API), and the rate,
    pool and address list explicitly so that a router whose profile lags behind still
    gets them. A group is shared by every RADIUS router: a pool or address list that one
    of `routers` overrides (`per_router`) is left to the router's own profile."""
    local = {
        key
        for router in routers
        if (override := profile.per_router.get(router)) is not None
        for key in ("remote_address", "address_list")
        if getattr(override, key) is not None
    }
    rows: set[Attr] = {("Mikrotik-Group", ":=", profile.name)}
    if profile.rate_limit:
        rows.add(("Mikrotik-Rate-Limit", ":=", profile.rate_limit))
    pool = profile.remote_address
    if pool and not _is_address(pool) and "remote_address" not in local:
        rows.add(("Framed-Pool", ":=", pool))
    if profile.address_list and "address_list" not in local:
        rows.add(("Mikrotik-Address-List", ":=", profile.address_list))
    return frozenset(rows)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def desired_store(
    state: State,
    standings: Mapping[str, Standing],
    passwords: Mapping[str, str],
    secrets: Mapping[str, str],
) -> DesiredStore:
    """What the store must hold for every RADIUS router of `state`.

    `passwords`: customer id (or stored ciphertext) -> plaintext; `secrets`: router name ->
    RADIUS shared secret (from the environment).
    """
    prefix = state.settings.comment_prefix + ":"
    routers = radius_routers(state)
    names = frozenset(router.name for router in routers)
    groups = {
        prefix + name: DesiredGroup(
            prefix + name, frozenset(), group_attrs(profile, names), f"package {name}"
        )
        for name, profile in sorted(state.profiles.items())
        if any(profile.on_router(router) for router in names)
    }
    groups[prefix + REJECT_GROUP] = DesiredGroup(
        prefix + REJECT_GROUP,
        frozenset({("Auth-Type", ":=", "Reject")}),
        frozenset({("Reply-Message", ":=", "account suspended")}),
        "suspended accounts (suspend mode disable)",
    )
    users: dict[str, DesiredUser] = {}
    absent: dict[str, str] = {}
    placement: dict[str, str] = {}
    for router in routers:
        for customer_id, customer in state.customers_by_router.get(router.name, ()):
            placement[customer_id] = customer.username
            standing = standings[customer_id]
            if standing.access == "absent":
                absent[customer_id] = standing.reason
                continue
            user = _desired_user(state, router, customer, standing, prefix, passwords)
            other = users.get(user.username)
            if other is not None:
                raise IskError(
                    f"username {user.username} is used by customers {other.customer} and "
                    f"{customer_id}: RADIUS routers share one store, usernames must be unique"
                )
            users[user.username] = user
    nas = {
        router.radius_address: DesiredNas(
            router.radius_address, router.name, secrets[router.name], f"{prefix}{router.name}"
        )
        for router in routers
    }
    disconnect = all(state.suspend_for(router.name).disconnect for router in routers)
    suspension = {prefix + REJECT_GROUP} | {
        prefix + suspend.isolate_profile
        for router in routers
        if (suspend := state.suspend_for(router.name)).mode == "isolate" and suspend.isolate_profile
    }
    return DesiredStore(
        prefix, groups, users, nas, absent, placement, disconnect, frozenset(suspension)
    )


def _desired_user(
    state: State,
    router: Router,
    customer: Customer,
    standing: Standing,
    prefix: str,
    passwords: Mapping[str, str],
) -> DesiredUser:
    suspend = state.suspend_for(router.name)
    suspended = standing.access == "suspended"
    isolated = suspended and suspend.mode == "isolate"
    profile = standing.profile or customer.profile_on(standing.as_of) or customer.profile.first
    if isolated:
        group = prefix + (suspend.isolate_profile or REJECT_GROUP)
    elif suspended:
        group = prefix + REJECT_GROUP
    else:
        group = prefix + profile
    check: set[Attr] = set()
    source = customer.pppoe.password
    if source is not None:
        plaintext = passwords.get(customer.id, passwords.get(source))
        if plaintext is None:
            raise IskError(
                f"customer {customer.id}: password could not be decrypted "
                f"(state/customers/{customer.id}.yaml)"
            )
        check.add(("Cleartext-Password", ":=", plaintext))
    if state.settings.radius.simultaneous_use:
        check.add(("Simultaneous-Use", ":=", str(state.settings.radius.simultaneous_use)))
    if customer.pppoe.caller_id:
        check.add(("Calling-Station-Id", "==", customer.pppoe.caller_id))
    reply: set[Attr] = set()
    # A static IP would keep an isolated customer out of the isolate pool (as on routers).
    if customer.pppoe.remote_address and not isolated:
        reply.add(("Framed-IP-Address", ":=", customer.pppoe.remote_address))
    return DesiredUser(
        username=customer.username,
        customer=customer.id,
        router=router.name,
        access=standing.access,
        isolated=isolated,
        reason=standing.reason,
        group=group,
        check=frozenset(check),
        reply=frozenset(reply),
        password_source=source,
        adopt=customer.adopt,
    )
