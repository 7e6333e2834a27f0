"""What isk knows about RouterOS fields, in one table per menu.

For every field of the /ppp menus isk reads or writes: how RouterOS spells its value
(`kind`), what it prints once the field is unset (`unset`), whether RouterOS sets it
itself (`read_only`), and whether isk manages it from a core field of the YAML
(`managed`; any other writable /ppp/profile field may be set through a profile's
`routeros:` passthrough). The spelling sets of `routeros.normalize`, the managed
profile fields of `reconcile.desired` and the unset spellings the plan accepts are all
read from here. (The idea of one table per menu follows the `_api_data.py` table of the
community.routeros Ansible collection.)

The state repository's own schema (state.profiles: which YAML field owns which RouterOS
key, which keys are read-only) cannot import this module (state sits below routeros);
tests/routeros/test_fields.py checks that both say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

PROFILE = "/ppp/profile"
SECRET = "/ppp/secret"
ACTIVE = "/ppp/active"
POOL = "/ip/pool"

# text: kept as written; true-false: printed true/false (yes/no accepted on write);
# yes-no: yes/no (some fields also take "default" or "required"); list: comma-separated;
# rate: a rate limit (state.ratelimit spelling)
Kind = Literal["text", "true-false", "yes-no", "list", "rate"]


@dataclass(frozen=True)
class Field:
    kind: Kind = "text"
    # What RouterOS prints for the field once it is unset, besides nothing or "": an
    # empty managed field matches that spelling too.
    unset: str | None = None
    read_only: bool = False
    managed: bool = False


def _table(fields: dict[str, Field]) -> Mapping[str, Field]:
    return MappingProxyType(fields)


_YES_NO_DEFAULT = Field("yes-no", unset="default")

PROFILE_FIELDS = _table(
    {
        "name": Field(managed=True),
        "comment": Field(managed=True),
        "rate-limit": Field("rate", managed=True),
        "local-address": Field(managed=True),
        "remote-address": Field(managed=True),
        "dns-server": Field("list", managed=True),
        "only-one": Field("yes-no", unset="default", managed=True),
        "address-list": Field(managed=True),
        "parent-queue": Field(managed=True),
        "wins-server": Field("list"),
        "change-tcp-mss": _YES_NO_DEFAULT,
        "use-encryption": _YES_NO_DEFAULT,
        "use-compression": _YES_NO_DEFAULT,
        "use-mpls": _YES_NO_DEFAULT,
        "use-upnp": _YES_NO_DEFAULT,
        "use-ipv6": Field("yes-no"),
        "bridge-learning": Field("yes-no"),
        "default": Field("true-false", read_only=True),  # set on the built-in profiles
    }
)
SECRET_FIELDS = _table(
    {
        "name": Field(managed=True),
        "password": Field(managed=True),
        "service": Field(managed=True),
        "profile": Field(managed=True),
        "local-address": Field(managed=True),
        "remote-address": Field(managed=True),
        "caller-id": Field(managed=True),
        "comment": Field(managed=True),
        "disabled": Field("true-false", managed=True),
    }
)
ACTIVE_FIELDS = _table({"radius": Field("true-false", read_only=True)})
POOL_FIELDS = _table(
    {"name": Field(managed=True), "ranges": Field(managed=True), "comment": Field(managed=True)}
)
# Flags RouterOS may print on an entry of any menu.
COMMON_FIELDS = _table(
    {
        "dynamic": Field("true-false", read_only=True),
        "invalid": Field("true-false", read_only=True),
    }
)
MENUS: Mapping[str, Mapping[str, Field]] = MappingProxyType(
    {PROFILE: PROFILE_FIELDS, SECRET: SECRET_FIELDS, ACTIVE: ACTIVE_FIELDS, POOL: POOL_FIELDS}
)


def _all_fields() -> dict[str, Field]:
    """Every field by name. A field name means the same value kind in every /ppp menu, so
    values can be spelled without knowing the menu; `test_fields` keeps that true."""
    merged: dict[str, Field] = dict(COMMON_FIELDS)
    for table in MENUS.values():
        merged.update(table)
    return merged


def fields_of_kind(kind: Kind) -> frozenset[str]:
    return frozenset(name for name, spec in _all_fields().items() if spec.kind == kind)


def unset_spellings() -> dict[str, str]:
    """Field -> what RouterOS prints for it once unset (only fields that print something)."""
    return {name: spec.unset for name, spec in _all_fields().items() if spec.unset is not None}


def managed_fields(menu: str) -> tuple[str, ...]:
    return tuple(name for name, spec in MENUS[menu].items() if spec.managed)


def read_only_fields(menu: str) -> frozenset[str]:
    return frozenset(name for name, spec in MENUS[menu].items() if spec.read_only)
