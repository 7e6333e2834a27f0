"""What each simulated menu holds: its fields, their defaults and RouterOS's rules.

Facts from ROUTEROS.md; where RouterOS behaviour is unverified, the choice made here
is written in docs/simulator.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PROFILE = "/ppp/profile"
SECRET = "/ppp/secret"
ACTIVE = "/ppp/active"
POOL = "/ip/pool"
IDENTITY = "/system/identity"
RESOURCE = "/system/resource"
RADIUS = "/radius"
AAA = "/ppp/aaa"
INCOMING = "/radius/incoming"

TABLE_MENUS = (PROFILE, SECRET, ACTIVE, POOL, RADIUS)
# Settings menus: one item, no id; print and set only. Fields as RouterOS 7 prints them
# (defaults of a fresh router).
SINGLETON_DEFAULTS: dict[str, dict[str, str]] = {
    AAA: {
        "use-radius": "false",
        "accounting": "true",
        "interim-update": "0s",
        "use-circuit-id-in-nas-port-id": "false",
    },
    INCOMING: {"accept": "false", "port": "3799", "vrf": "main"},
}

BUILTIN_PROFILES = {0x0: "default", 0xFFFFFFFE: "default-encryption"}

_YES_NO_DEFAULT = frozenset({"default", "yes", "no"})


@dataclass(frozen=True)
class MenuSpec:
    path: str
    noun: str  # for "failure: <noun> with the same name already exists"
    writable: frozenset[str]
    read_only: frozenset[str] = frozenset()
    booleans: frozenset[str] = frozenset()  # stored and printed as "true"/"false"
    defaults: Mapping[str, str] = field(default_factory=dict)  # printed when unset
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)
    api_add: bool = True  # `add` and `set` over the API (sessions are created by clients)
    has_disabled: bool = False  # enable/disable commands
    unique_names: bool = True

    def known(self, name: str) -> bool:
        return name in self.writable or name in self.read_only


SECRET_SPEC = MenuSpec(
    path=SECRET,
    noun="secret",
    writable=frozenset(
        {
            "name",
            "password",
            "service",
            "profile",
            "local-address",
            "remote-address",
            "caller-id",
            "routes",
            "ipv6-routes",
            "remote-ipv6-prefix",
            "limit-bytes-in",
            "limit-bytes-out",
            "comment",
            "disabled",
        }
    ),
    read_only=frozenset({"last-logged-out", "last-caller-id", "last-disconnect-reason"}),
    booleans=frozenset({"disabled"}),
    defaults={"service": "any", "profile": "default", "disabled": "false"},
    choices={"service": frozenset({"any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"})},
    has_disabled=True,
)

PROFILE_SPEC = MenuSpec(
    path=PROFILE,
    noun="profile",
    writable=frozenset(
        {
            "name",
            "local-address",
            "remote-address",
            "rate-limit",
            "dns-server",
            "wins-server",
            "only-one",
            "change-tcp-mss",
            "use-encryption",
            "use-compression",
            "use-mpls",
            "use-upnp",
            "use-ipv6",
            "address-list",
            "parent-queue",
            "queue-type",
            "insert-queue-before",
            "incoming-filter",
            "outgoing-filter",
            "idle-timeout",
            "session-timeout",
            "on-up",
            "on-down",
            "bridge",
            "bridge-horizon",
            "bridge-learning",
            "bridge-path-cost",
            "bridge-port-priority",
            "interface-list",
            "dhcpv6-pd-pool",
            "remote-ipv6-prefix-pool",
            "comment",
        }
    ),
    read_only=frozenset({"default"}),
    booleans=frozenset({"default"}),
    defaults={"default": "false"},
    choices={
        "only-one": _YES_NO_DEFAULT,
        "change-tcp-mss": _YES_NO_DEFAULT,
        "use-compression": _YES_NO_DEFAULT,
        "use-upnp": _YES_NO_DEFAULT,
        "use-encryption": _YES_NO_DEFAULT | {"required"},
        "use-mpls": _YES_NO_DEFAULT | {"required"},
    },
)

ACTIVE_SPEC = MenuSpec(
    path=ACTIVE,
    noun="session",
    writable=frozenset(),
    read_only=frozenset(
        {
            "name",
            "service",
            "caller-id",
            "address",
            "uptime",
            "encoding",
            "session-id",
            "radius",
            "limit-bytes-in",
            "limit-bytes-out",
            "comment",
        }
    ),
    booleans=frozenset({"radius"}),
    defaults={"radius": "false"},
    api_add=False,
    unique_names=False,
)

POOL_SPEC = MenuSpec(
    path=POOL,
    noun="pool",
    writable=frozenset({"name", "ranges", "next-pool", "comment"}),
)

RADIUS_SPEC = MenuSpec(
    path=RADIUS,
    noun="radius server",
    writable=frozenset(
        {
            "service",
            "address",
            "secret",
            "authentication-port",
            "accounting-port",
            "timeout",
            "src-address",
            "protocol",
            "realm",
            "comment",
            "disabled",
        }
    ),
    booleans=frozenset({"disabled"}),
    defaults={
        "authentication-port": "1812",
        "accounting-port": "1813",
        "timeout": "300ms",
        "protocol": "udp",
        "disabled": "false",
    },
    has_disabled=True,
    unique_names=False,
)

SPECS: dict[str, MenuSpec] = {
    spec.path: spec for spec in (SECRET_SPEC, PROFILE_SPEC, ACTIVE_SPEC, POOL_SPEC, RADIUS_SPEC)
}

# Attributes of the built-in profiles as RouterOS prints them.
BUILTIN_PROFILE_ATTRS: dict[str, dict[str, str]] = {
    "default": {
        "name": "default",
        "use-mpls": "default",
        "use-compression": "default",
        "use-encryption": "default",
        "only-one": "default",
        "change-tcp-mss": "yes",
        "use-upnp": "default",
        "address-list": "",
        "on-up": "",
        "on-down": "",
    },
    "default-encryption": {
        "name": "default-encryption",
        "use-mpls": "default",
        "use-compression": "default",
        "use-encryption": "yes",
        "only-one": "default",
        "change-tcp-mss": "yes",
        "use-upnp": "default",
        "address-list": "",
        "on-up": "",
        "on-down": "",
    },
}
