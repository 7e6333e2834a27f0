"""profiles/*.yaml (SPEC §2): the packages, their prices and RouterOS passthrough keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

from isk_reconcile.state.base import (
    Dated,
    FreeText,
    Frozen,
    IpAddress,
    IpOrPool,
    Money,
    check_name,
    rule_error,
)
from isk_reconcile.state.ratelimit import parse_rate_limit

RESERVED_PROFILES = frozenset({"default", "default-encryption"})
# `routeros:` passthrough keys are /ppp/profile property names as RouterOS spells them.
ROUTEROS_KEY = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# /ppp/profile properties isk manages from their own fields: a passthrough copy would fight
# them (two values for one property, a plan that never converges). Key -> the field to use.
CORE_PROFILE_KEYS = {
    "name": "the file name",
    "rate-limit": "rate_limit",
    "local-address": "local_address",
    "remote-address": "remote_address",
    "dns-server": "dns_server",
    "only-one": "only_one",
    "address-list": "address_list",
    "parent-queue": "parent_queue",
    "comment": "description",
}
READ_ONLY_PROFILE_KEYS = frozenset({"default"})  # set by RouterOS on its built-ins


# --- profiles (packages) ------------------------------------------------------------------


def _routeros_key(value: str) -> str:
    if value in READ_ONLY_PROFILE_KEYS:
        raise rule_error(f"'{value}' is read-only on RouterOS", hint="remove it")
    if value in CORE_PROFILE_KEYS:
        raise rule_error(
            f"'{value}' is managed by isk, not a passthrough key",
            hint=f"use {CORE_PROFILE_KEYS[value]} instead"
            if value not in ("name", "comment")
            else f"it comes from {CORE_PROFILE_KEYS[value]}; remove it here",
        )
    if not ROUTEROS_KEY.match(value):
        spelled = value.strip().lower().replace("_", "-").replace(" ", "-")
        hint = "RouterOS property names are lower-case words joined by '-'"
        if spelled != value and ROUTEROS_KEY.match(spelled):
            hint += f": {spelled}"
        raise rule_error(f"'{value}' is not a RouterOS /ppp/profile property name", hint=hint)
    return value


RouterosKey = Annotated[StrictStr, AfterValidator(_routeros_key)]


class ProfileOverride(Frozen):
    """Router-local values of a package on one router (its own address, pool, DNS): the
    package (price, rate limit) stays one. A field left out inherits the profile's value;
    "" (or [] for dns_server) clears it on that router."""

    local_address: StrictStr | None = None
    remote_address: StrictStr | None = None
    dns_server: tuple[StrictStr, ...] | None = None
    address_list: StrictStr | None = None
    parent_queue: StrictStr | None = None
    routeros: Mapping[RouterosKey, StrictStr] = Field(default_factory=dict)


# The fields an override may set: what differs between sites, never what is sold.
ROUTER_LOCAL_FIELDS = (
    "local_address",
    "remote_address",
    "dns_server",
    "address_list",
    "parent_queue",
)


class Profile(Frozen):
    name: StrictStr
    description: FreeText = ""
    price: Dated[Money] | None = None  # None: not sellable (e.g. the isolate profile)
    rate_limit: StrictStr | None = None
    local_address: IpOrPool | None = None
    remote_address: IpOrPool | None = None
    dns_server: tuple[IpAddress, ...] = ()
    only_one: StrictBool | None = None
    address_list: StrictStr | None = None
    parent_queue: StrictStr | None = None
    routers: tuple[StrictStr, ...] | None = None  # None: pushed to every router
    routeros: Mapping[RouterosKey, StrictStr] = Field(default_factory=dict)
    per_router: Mapping[StrictStr, ProfileOverride] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        if value.lower() in RESERVED_PROFILES:
            raise rule_error(
                f"'{value}' is a RouterOS built-in profile and cannot be managed",
                hint="choose another name",
            )
        return check_name(value, "profile")

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_syntax(cls, value: str | None) -> str | None:
        # The reconciler's own parser: what validates here is what it can compare later.
        if value is not None and value != "":
            try:
                parse_rate_limit(value)
            except ValueError as problem:
                raise rule_error(
                    f"'{value}' is not a RouterOS rate-limit",
                    hint=f"{problem}; e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 5M/5M"
                    if "not a number" not in str(problem)
                    else "e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 5M/5M",
                ) from None
        return value

    def on_router(self, router: str) -> bool:
        return self.routers is None or router in self.routers

    def for_router(self, router: str) -> Profile:
        """This profile as `router` holds it: its `per_router` values applied."""
        override = self.per_router.get(router)
        if override is None:
            return self
        update: dict[str, object] = {
            key: value
            for key in ROUTER_LOCAL_FIELDS
            if (value := getattr(override, key)) is not None
        }
        if override.routeros:
            update["routeros"] = {**self.routeros, **override.routeros}
        return self.model_copy(update=update)

    def price_on(self, day: date) -> int | None:
        return None if self.price is None else self.price.at(day)
