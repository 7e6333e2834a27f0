"""Comparing one desired item with what the router holds: the field differences
(passwords compared, never shown), what kind of change a secret's differences make, and
why a managed secret goes.
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from isk_reconcile.reconcile.desired import DesiredRouter, DesiredSecret
from isk_reconcile.reconcile.plan_types import CHANGED, HIDDEN, Action
from isk_reconcile.routeros.fields import unset_spellings
from isk_reconcile.routeros.types import LiveItem
from isk_reconcile.state.digestcache import same_password
from isk_reconcile.state.profiles import RESERVED_PROFILES

# A managed field left empty in the YAML matches a router that prints nothing, "" or
# the spelling RouterOS prints once the field is unset ("default" for the yes/no/default
# profile fields).
EMPTY_DEFAULTS = unset_spellings()


def deletion_reason(
    desired: DesiredRouter, customer: str | None, live_names: Container[str] = ()
) -> str:
    """Why a managed secret goes: the billing reason, or where its customer went (in
    words that say what happened: a copy beside the customer's own secret is a copy)."""
    if customer is None:
        return "its ownership comment names no customer"
    if customer in desired.absent:
        return desired.absent[customer]
    where = desired.placement.get(customer)
    if where is None:
        return f"customer {customer} is no longer in the repository"
    router, username = where
    if router != desired.router:
        return f"customer {customer} moved to router {router}"
    if username in live_names:
        return (
            f"a copy of customer {customer}'s secret {username} (it carries the same "
            "ownership comment, e.g. copied in Winbox)"
        )
    return f"customer {customer}'s username changed to {username}"


def is_builtin(item: LiveItem) -> bool:
    return item.name in RESERVED_PROFILES or item.attrs.get("default") in ("true", "yes")


def field_diff(
    desired: Mapping[str, str], live: Mapping[str, str]
) -> dict[str, tuple[str | None, str | None]]:
    """Managed fields whose live value differs; passwords are compared but never shown.

    A router that does not print passwords (API user without the `sensitive` policy)
    cannot be compared, so the password is then left alone (`plan_router` says so in a
    router note).
    """
    diff: dict[str, tuple[str | None, str | None]] = {}
    for key, wanted in desired.items():
        if key == "name":
            continue
        current = live.get(key)
        if key == "password":
            if current is not None and not same_password(wanted, current):
                diff[key] = (HIDDEN, CHANGED)
            continue
        if wanted == "":
            if current in (None, "") or current == EMPTY_DEFAULTS.get(key):
                continue
        elif current == wanted:
            continue
        diff[key] = (current, wanted or None)
    return diff


def secret_action(
    secret: DesiredSecret,
    current: LiveItem,
    diff: Mapping[str, tuple[str | None, str | None]],
    isolate_profile: str | None,
) -> Action:
    """`disable`/`enable` for what reviewers look for: suspensions and restorations
    (in isolate mode: moving into or out of the isolate profile)."""
    if "disabled" in diff:
        return "disable" if diff["disabled"][1] == "true" else "enable"
    if "profile" in diff:
        if secret.isolated:
            return "disable"
        if isolate_profile and current.attrs.get("profile") == isolate_profile:
            return "enable"
    return "update"
