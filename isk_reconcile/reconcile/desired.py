"""Desired router state (SPEC §4): what each router should hold, from the repo and billing.

Pure: a function of (State, standings, router, passwords). Attribute values are the
canonical strings of `routeros.normalize`, so they compare equal to what a router
prints exactly when the router holds the same setting. An empty string means
"this managed field must be cleared on the router".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from isk_reconcile.billing.engine import Access, Standing
from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.pools import DesiredPool, desired_pools
from isk_reconcile.routeros.normalize import canonical
from isk_reconcile.state.model import Customer, Profile, State, SuspendSettings

# Profile fields the YAML manages (besides name and comment); anything else is ignored,
# except keys the profile names in its `routeros` passthrough.
PROFILE_FIELDS = (
    "rate-limit",
    "local-address",
    "remote-address",
    "dns-server",
    "only-one",
    "address-list",
    "parent-queue",
)
# The passthrough keys a profile manages are recorded at the end of its comment
# ("isk:profile Paket Bisnis [routeros: change-tcp-mss,on-up]"), so that a key removed
# from the YAML is still known to be isk's and is unset on the router. The router is the
# only memory that survives: a key isk never wrote (a hand-made tweak) is left alone.
PASSTHROUGH_MARK = re.compile(r" \[routeros: ([a-z0-9][a-z0-9,-]*)\]$")
_PASSTHROUGH_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


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


def comment_text(text: str) -> str:
    """Free text (a name, a description) as it goes into an ownership comment: ASCII, and
    square brackets turned into parentheses, so that a bracketed suffix at the end of a
    comment (" [disconnect pending]", " [routeros: ...]") can only have been written by
    isk, never typed into a customer's name."""
    return ascii_fold(text).replace("[", "(").replace("]", ")")


def ascii_fold(text: str) -> str:
    """ASCII for RouterOS comments: accents dropped (NFKD), anything else non-ASCII → '?'."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    letters = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ord(ch) < 128 else "?" for ch in letters)


def secret_comment(prefix: str, customer: Customer) -> str:
    return f"{prefix}{customer.id} {comment_text(customer.name)}".strip()


def managed_passthrough(profile: Profile) -> tuple[str, ...]:
    """The `routeros:` keys this profile writes (core fields, name and comment win)."""
    return tuple(
        sorted(
            key
            for key in profile.routeros
            if key not in PROFILE_FIELDS
            and key not in ("name", "comment")
            and _PASSTHROUGH_KEY.match(key)
        )
    )


def profile_comment(prefix: str, profile: Profile) -> str:
    comment = f"{prefix}profile {comment_text(profile.description)}".strip()
    keys = managed_passthrough(profile)
    if keys:
        comment += f" [routeros: {','.join(keys)}]"
    return comment


def passthrough_of_comment(comment: str) -> tuple[str, ...]:
    """The passthrough keys a managed profile's comment says isk wrote ("" → none)."""
    found = PASSTHROUGH_MARK.search(comment)
    if found is None:
        return ()
    return tuple(key for key in found.group(1).split(",") if key)


def customer_of_comment(prefix: str, comment: str) -> str | None:
    """The customer id a /ppp/secret ownership comment names ("isk:budi Budi Santoso" →
    "budi"). Only for secret comments: which menu an entry is in tells a profile from a
    secret, never the text (a customer id may well start with "profile")."""
    if not comment.startswith(prefix):
        return None
    return comment[len(prefix) :].split(" ", 1)[0] or None


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
    raw["comment"] = profile_comment(prefix, profile)
    return {key: canonical(key, value) for key, value in raw.items()}


def customers_by_router(state: State) -> Mapping[str, tuple[tuple[str, Customer], ...]]:
    """Customers grouped by router, sorted by id; computed once per State (it is immutable)."""
    cached = state.__dict__.get("_customers_by_router")
    if cached is None:
        grouped: dict[str, list[tuple[str, Customer]]] = {}
        for customer_id, customer in sorted(state.customers.items()):
            grouped.setdefault(customer.router, []).append((customer_id, customer))
        cached = {router: tuple(items) for router, items in grouped.items()}
        object.__setattr__(state, "_customers_by_router", cached)
    return cached


def desired_state(
    state: State,
    standings: Mapping[str, Standing],
    router: str,
    passwords: Mapping[str, str],
) -> DesiredRouter:
    """Profiles and secrets `router` must hold.

    `passwords` maps customer id → plaintext password (a mapping keyed by the stored
    ciphertext, as `secrets.decrypt_all` returns, works too).
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
    for customer_id, customer in () if radius else customers_by_router(state).get(router, ()):
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
        placement(state),
        desired_pools(state.routers[router].pools, prefix) if router in state.routers else {},
        "radius" if radius else "api",
    )


def placement(state: State) -> Mapping[str, tuple[str, str]]:
    """Customer id -> (router, username); computed once per State (it is immutable)."""
    cached = state.__dict__.get("_placement")
    if cached is None:
        cached = {cid: (c.router, c.username) for cid, c in state.customers.items()}
        object.__setattr__(state, "_placement", cached)
    return cached


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
            plaintext = passwords.get(source)
        if plaintext is None:
            raise IskError(
                f"customer {customer.id}: password could not be decrypted "
                f"(state/customers/{customer.id}.yaml)"
            )
        raw["password"] = plaintext
    attrs = {key: canonical(key, value) for key, value in raw.items()}
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
