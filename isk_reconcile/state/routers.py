"""routers.yaml (SPEC §2): each router, how to reach it, its IP pools and overrides."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from isk_reconcile.state.base import FreeText, Frozen, Host, Seconds, check_name, rule_error
from isk_reconcile.state.settings import SafetySettings, SuspendSettings

# A router's API password variable: a name that can only hold a router password, so a
# pull request cannot point password_env at ISK_AGE_IDENTITY (or any other secret of the
# job) and have it sent to a router as a "password" (docs/security.md).
PASSWORD_ENV = re.compile(r"^ISK_ROUTER_[A-Z0-9_]+$")
# The variables a RADIUS router's shared secret may come from: never another variable of
# the job (an age identity, a token).
RADIUS_SECRET_ENV = re.compile(r"^ISK_(ROUTER|RADIUS)_[A-Z0-9_]+$")
# The routers.yaml fields that decide where a credential is sent and how. `isk plan
# --base REF` takes them from REF and skips a router whose values differ (a later field
# joins by adding its name here; a name the model does not have yet compares as None).
CONNECTION_FIELDS: tuple[str, ...] = (
    "host",
    "port",
    "tls",
    "tls_ca",
    "tls_verify",
    "username",
    "password_env",
    "read_username",
    "read_password_env",
    "identity",
    "backend",
    # RADIUS routers: where Disconnect-Requests and the shared secret go
    "nas_address",
    "coa_port",
    "radius_secret_env",
)


# --- routers ----------------------------------------------------------------------------


def parse_ip_range(text: str) -> tuple[int, int, int]:
    """(IP version, first, last) of a RouterOS pool range: `10.0.0.10-10.0.0.250`,
    `10.0.0.0/24` or one address. ValueError with a hint otherwise."""
    try:
        if "-" in text:
            first_text, last_text = text.split("-", 1)
            first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
        elif "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            first, last = network[0], network[-1]
        else:
            first = last = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an address range (e.g. 10.20.0.10-10.20.0.250 or 10.20.0.0/24)"
        ) from None
    if first.version != last.version or int(first) > int(last):
        raise ValueError(f"'{text}' ends before it starts")
    return first.version, int(first), int(last)


class Pool(Frozen):
    """An IP pool isk manages on one router (`pools:` in routers.yaml)."""

    ranges: tuple[StrictStr, ...]
    next_pool: StrictStr | None = None
    comment: StrictStr = ""

    @field_validator("ranges")
    @classmethod
    def _ranges_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise rule_error(
                "a pool needs at least one range", hint="e.g. [10.20.0.10-10.20.0.250]"
            )
        for index, text in enumerate(value):
            try:
                parse_ip_range(text)
            except ValueError as problem:
                raise rule_error(str(problem), (index,)) from None
        return value

    def spans(self) -> list[tuple[int, int, int]]:
        return [parse_ip_range(text) for text in self.ranges]


class Router(Frozen):
    name: StrictStr
    host: Host
    port: Annotated[StrictInt, Field(gt=0, lt=65536)] | None = None  # None: 8728, or 8729 with tls
    tls: StrictBool = False
    tls_ca: StrictStr | None = None
    tls_verify: StrictBool = True
    username: StrictStr = "admin"
    password_env: StrictStr | None = None
    # A read-only API user (RouterOS group with `read,api` only) for `isk plan`, so the
    # pull-request job never holds a password that can write (docs/security.md).
    read_username: StrictStr | None = None
    read_password_env: StrictStr | None = None
    timeout: Seconds = 10  # total budget to connect and log in, and again for each whole read
    apply_timeout: Seconds = 300  # total budget for all the writes of one apply
    # The router's /system/identity; a router answering with another one (swapped ports,
    # a re-used address) is an error before anything is read or written. Default: name.
    identity: StrictStr | None = None
    description: FreeText = ""
    suspend: SuspendSettings | None = None  # overrides settings.suspend when set
    safety: SafetySettings | None = None  # overrides settings.safety when set
    pools: Mapping[StrictStr, Pool] = Field(default_factory=dict)  # managed IP pools, by name

    # api: secrets are pushed to the router; radius: the router asks the RADIUS store
    # (docs/radius.md), profiles and pools still go through the API.
    backend: Literal["api", "radius"] = "api"
    # RADIUS only: the address the router sends RADIUS from (the store's `nas` row and
    # where Disconnect-Requests go; default: host), its RFC 5176 port, and the variable
    # holding the shared secret (never in git).
    nas_address: StrictStr | None = None
    coa_port: Annotated[StrictInt, Field(gt=0, lt=65536)] = 3799
    radius_secret_env: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        return check_name(value, "router")

    @field_validator("radius_secret_env")
    @classmethod
    def _radius_secret_variable(cls, value: str | None) -> str | None:
        if value is not None and not RADIUS_SECRET_ENV.match(value):
            raise rule_error(
                f"must name a variable matching {RADIUS_SECRET_ENV.pattern}",
                hint="e.g. ISK_ROUTER_CORE_RADIUS_SECRET; other variables are never sent",
            )
        return value

    @field_validator("password_env", "read_password_env")
    @classmethod
    def _router_variable(cls, value: str | None) -> str | None:
        if value is not None and not PASSWORD_ENV.match(value):
            raise rule_error(
                f"must name a router password variable matching {PASSWORD_ENV.pattern}",
                hint="e.g. ISK_ROUTER_CORE_PASSWORD; other variables of the job are never sent",
            )
        return value

    @model_validator(mode="after")
    def _read_pair(self) -> Router:
        if (self.read_password_env is None) != (self.read_username is None):
            missing = "read_password_env" if self.read_password_env is None else "read_username"
            raise rule_error(
                "read_username and read_password_env go together",
                (missing,),
                "set both (a read-only API user for plans) or neither",
            )
        return self

    @property
    def api_port(self) -> int:
        if self.port is not None:
            return self.port
        return 8729 if self.tls else 8728

    @property
    def expected_identity(self) -> str:
        return self.identity if self.identity is not None else self.name

    @property
    def radius_address(self) -> str:
        return self.nas_address or self.host

    @property
    def radius_secret_variable(self) -> str:
        """Environment variable holding the RADIUS shared secret (default from the name)."""
        if self.radius_secret_env:
            return self.radius_secret_env
        return "ISK_ROUTER_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_RADIUS_SECRET"

    @property
    def password_variable(self) -> str:
        """Environment variable holding the API password (default derived from the name)."""
        if self.password_env:
            return self.password_env
        return "ISK_ROUTER_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_PASSWORD"

    def for_reading(self) -> Router:
        """This router as plans connect to it: as the read-only user when one is named."""
        if self.read_username is None or self.read_password_env is None:
            return self
        return self.model_copy(
            update={"username": self.read_username, "password_env": self.read_password_env}
        )

    def connection(self) -> dict[str, Any]:
        """The values of CONNECTION_FIELDS (None for a field this version does not have)."""
        return {name: getattr(self, name, None) for name in CONNECTION_FIELDS}
