"""Desired router state (SPEC §4): what each router should hold, from the repo and billing.

Pure: a function of (State, standings, router, passwords). Attribute values are the
canonical strings of `routeros.normalize`, so they compare equal to what a router
prints exactly when the router holds the same setting. An empty string means
"this managed field must be cleared on the router".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from isk_reconcile.billing.engine import Access, Standing
from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.comments import is_passthrough_key, profile_comment, secret_comment
from isk_reconcile.reconcile.pools import DesiredPool, desired_pools
from isk_reconcile.routeros.fields import PROFILE, managed_fields
from isk_reconcile.routeros.normalize import canonical, canonical_item
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.settings import SuspendSettings

# Profile fields the YAML manages (besides name and comment); anything else is ignored,
# except keys the profile names in its `routeros` passthrough.
PROFILE_FIELDS = tuple(name for name in managed_fields(PROFILE) if name not in ("name", "comment"))


@dataclass(frozen=True)
class DesiredProfile:
    name: str
    attrs: Mapping[str, str]  # includes name and comment
    description: str


@dataclass(frozen=True)
class DesiredSecret:
    """One PPPoE secret that must exist. `attrs["password"]` is plaintext: never shown."""

    name: str
    customer: str
    access: Access  # "enabled" or "suspended" (absent accounts are not desired)
    isolated: bool  # suspended in isolate mode: profile is the isolate profile
    reason: str
    attrs: Mapping[str, str] = field(repr=False)
    # What the YAML stores for the password ("age:..." ciphertext, or plaintext when the
    # repo allows it); a saved plan refers to this, never to the plaintext.
    password_source: str | None = field(default=None, repr=False)
    adopt: bool = False  # customer marked `adopt: true` by `isk import`


@dataclass(frozen=True)
class DesiredRouter:
    router: str
    prefix: str  # "<comment_prefix>:" ownership marker
    suspend: SuspendSettings
    profiles: Mapping[str, DesiredProfile]
    secrets: Mapping[str, DesiredSecret]  # by username
    # Customers on this router whose account must not exist, with the billing reason.
    absent: Mapping[str, str] = field(default_factory=dict)
    # Of those, the ones with `protect: true`: never deleted by the reconciler (a note).
    protected: frozenset[str] = frozenset()
    # Every customer of the repo -> (router, username): a deletion names a customer's move
    # to another router or a new username instead of "not on this router".
    placement: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    pools: Mapping[str, DesiredPool] = field(default_factory=dict)  # managed IP pools
    # "radius": the router asks the RADIUS store (isk_reconcile/radius/), so it holds no
    # secrets; its profiles (and pools) still come from here.
    backend: str = "api"


def managed_passthrough(profile: Profile) -> tuple[str, ...]:
    """The `routeros:` keys this profile writes (core fields, name and comment win)."""
    return tuple(
        sorted(
            key
            for key in profile.routeros
            if key not in PROFILE_FIELDS
            and key not in ("name", "comment")
            and is_passthrough_key(key)
        )
    )


def profile_attrs(profile: Profile, prefix: str) -> dict[str, str]:
    raw: dict[str, object] = {
        "name": profile.name,
        "rate-limit": profile.rate_limit,
        "local-address": profile.local_address,
        "remote-address": profile.remote_address,
        "dns-server": list(profile.dns_server),
        "only-one": profile.only_one,
        "address-list": profile.address_list,
        "parent-queue": profile.parent_queue,
    }
    for key, value in profile.routeros.items():
        raw.setdefault(key, value)
    raw["comment"] = profile_comment(prefix, profile.description, managed_passthrough(profile))
    return {key: canonical(key, value) for key, value in raw.items()}


def desired_state(
    state: State,
    standings: Mapping[str, Standing],
    router: str,
    passwords: Mapping[str, str],
) -> DesiredRouter:
    """Profiles and secrets `router` must hold.

    `passwords` maps customer id → plaintext password (reconcile.passwords builds it).
    """
    prefix = state.settings.comment_prefix + ":"
    suspend = state.suspend_for(router)
    profiles = {
        name: DesiredProfile(
            name, profile_attrs(profile.for_router(router), prefix), profile.description
        )
        for name, profile in sorted(state.profiles.items())
        if profile.on_router(router)
    }
    secrets: dict[str, DesiredSecret] = {}
    absent: dict[str, str] = {}
    protected: set[str] = set()
    radius = router in state.routers and state.routers[router].backend == "radius"
    for customer_id, customer in () if radius else state.customers_by_router.get(router, ()):
        standing = standings[customer_id]
        if standing.access == "absent":
            absent[customer_id] = standing.reason
            if customer.protect:
                protected.add(customer_id)
            continue
        secret = _desired_secret(customer, standing, suspend, prefix, passwords)
        secrets[secret.name] = secret
    return DesiredRouter(
        router,
        prefix,
        suspend,
        profiles,
        secrets,
        absent,
        frozenset(protected),
        state.placement,
        desired_pools(state.routers[router].pools, prefix) if router in state.routers else {},
        "radius" if radius else "api",
    )


def _desired_secret(
    customer: Customer,
    standing: Standing,
    suspend: SuspendSettings,
    prefix: str,
    passwords: Mapping[str, str],
) -> DesiredSecret:
    suspended = standing.access == "suspended"
    isolated = suspended and suspend.mode == "isolate"
    profile = standing.profile or customer.profile_on(standing.as_of) or customer.profile.first
    if isolated:
        if not suspend.isolate_profile:
            raise IskError(f"customer {customer.id}: suspend mode isolate needs isolate_profile")
        profile = suspend.isolate_profile
    raw: dict[str, object] = {
        "name": customer.username,
        "service": customer.pppoe.service,
        "profile": profile,
        # A static IP would keep an isolated customer out of the isolate pool.
        "remote-address": None if isolated else customer.pppoe.remote_address,
        "caller-id": customer.pppoe.caller_id,
        "comment": secret_comment(prefix, customer),
        "disabled": suspended and not isolated,
    }
    source = customer.pppoe.password
    if source is not None:
        plaintext = passwords.get(customer.id)
        if plaintext is None:
            raise IskError(
                f"customer {customer.id}: password could not be decrypted "
                f"(state/customers/{customer.id}.yaml)"
            )
    attrs = canonical_item(raw)  # (plain strings pass through without a call each)
    if source is not None:  # as it is: a SealedPassword (reconcile.passwords) stays one
        attrs["password"] = plaintext
    return DesiredSecret(
        name=attrs["name"],
        customer=customer.id,
        access=standing.access,
        isolated=isolated,
        reason=standing.reason,
        attrs=attrs,
        password_source=source,
        adopt=customer.adopt,
    )
