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

Money already settled: a secret that is enabled on the router is taken as paid through
`--paid-through` (default: the end of the period that starts on import day) and written
with an `opening:` balance, so billing starts after it — no invented debt for years of
service, no compensating credit. A disabled secret is "unpaid since import": billing
starts early enough that its first invoice is already past grace, so it stays disabled
until paid; only a comment that says why (e.g. "pindah rumah", "rusak") makes it
suspended by hand instead. Name and phone are split from a comment such as
"Budi Santoso - RT 01 - 0812 3456 7890".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from isk_reconcile.billing.periods import add_months
from isk_reconcile.routeros.normalize import FALSE_WORDS, TRUE_WORDS
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.base import CUSTOMER_ID, NAME
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import RESERVED_PROFILES, Profile
from isk_reconcile.state.settings import Settings
from isk_reconcile.state.writer import yaml_scalar

# A comment on a disabled secret that gives one of these reasons means "cut off by hand";
# any other disabled secret is taken as unpaid (the usual reason: "nunggak").
MANUAL_REASONS = (
    "pindah", "rusak", "cuti", "berhenti", "blokir", "abuse", "manual", "hold", "libur",
    "moved", "broken", "paused",
)  # fmt: skip
# Indonesian mobile numbers as people write them: 08.., +628.., 628.., with separators.
_PHONE = re.compile(r"(?<!\d)(?:\+?62|0)[\s.-]?8(?:[\s.-]?\d){7,11}(?!\d)")
_SEPARATORS = re.compile(r"\s+[-|/,;]\s+|\s*[|;]\s*")


@dataclass(frozen=True)
class ImportResult:
    files: Mapping[str, str]  # path relative to the repo -> text (new, or an extended profile)
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
    paid_through: date | None = None,
    profile_text: Callable[[str], str | None] = lambda name: None,
) -> ImportResult:
    """Files for the profiles and secrets of `live` that the repository does not have yet.

    `paid_through`: what enabled secrets have paid up to (default: the end of the period
    that starts on `as_of`). `profile_text(name)`: the text of an existing profile file, so
    a package the repository already has is extended to this router (its router-local
    address, pool and DNS written as a `per_router` override) instead of refused."""
    prices = dict(prices or {})
    router = live.router
    files: dict[str, str] = {}
    skipped: list[str] = []
    new_profiles = _new_profiles(state, live, skipped)
    for name, text in _shared_profiles(state, live, profile_text, skipped).items():
        files[f"state/profiles/{name}.yaml"] = text
    unpriced = tuple(sorted(name for name in new_profiles if name not in prices))
    for name, item in new_profiles.items():
        files[f"state/profiles/{name}.yaml"] = profile_document(item, router, prices.get(name))

    settled = paid_through or default_paid_through(state.settings, as_of)
    billing = _Billing(as_of, settled, prices, encrypt)
    customers, free = _import_secrets(state, live, new_profiles, billing, files, skipped)
    return ImportResult(
        files=files,
        profiles=tuple(new_profiles),
        customers=tuple(customers),
        skipped=tuple(skipped),
        unpriced=unpriced,
        free_customers=tuple(free),
    )


@dataclass(frozen=True)
class _Billing:
    """How imported accounts are billed: from `as_of`, paid through `settled`."""

    as_of: date
    settled: date
    prices: Mapping[str, int]
    encrypt: Callable[[str], str]


def _import_secrets(
    state: State,
    live: LiveState,
    new_profiles: Mapping[str, LiveItem],
    billing: _Billing,
    files: dict[str, str],
    skipped: list[str],
) -> tuple[list[str], list[str]]:
    """Customer files (into `files`) for the secrets the repository does not have;
    returns (customer ids, those imported as free)."""
    router = live.router
    sellable = {name for name, profile in state.profiles.items() if profile.price is not None}
    sellable |= {name for name in new_profiles if name in billing.prices}
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
        ciphertext = billing.encrypt(password) if password else None
        adoption = Adoption(billing.as_of, billing.settled, state.settings, free=is_free)
        files[f"state/customers/{customer_id}.yaml"] = customer_document(
            customer_id, item, router, adoption, ciphertext
        )
        customers.append(customer_id)
        if is_free:
            free.append(customer_id)
    return customers, free


def _new_profiles(state: State, live: LiveState, skipped: list[str]) -> dict[str, LiveItem]:
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
    return new_profiles


def _shared_profiles(
    state: State,
    live: LiveState,
    profile_text: Callable[[str], str | None],
    skipped: list[str],
) -> dict[str, str]:
    """Existing packages this router also has: their files extended to it (name → text)."""
    extended: dict[str, str] = {}
    for item in live.profiles:
        profile = state.profiles.get(item.name)
        if profile is None:
            continue
        local = _router_local_differences(profile.for_router(live.router), item)
        if profile.on_router(live.router) and not local:
            continue
        text = profile_text(item.name)
        new_text = extend_profile_text(
            text or "", live.router, local, profile.on_router(live.router)
        )
        if text is None or new_text is None:
            skipped.append(
                f"profile {item.name!r}: add {live.router} to state/profiles/{item.name}.yaml "
                f"by hand (routers, and per_router values {local or '{}'})"
            )
            continue
        extended[item.name] = new_text
    return extended


_LOCAL_WIRE = {
    "local_address": "local-address",
    "remote_address": "remote-address",
    "dns_server": "dns-server",
    "address_list": "address-list",
    "parent_queue": "parent-queue",
}


def _router_local_differences(profile: Profile, item: LiveItem) -> dict[str, object]:
    """The router-local fields whose live value differs from what the package says."""
    differences: dict[str, object] = {}
    for key, wire in _LOCAL_WIRE.items():
        live_value = item.attrs.get(wire, "")
        if key == "dns_server":
            servers = tuple(part.strip() for part in live_value.split(",") if part.strip())
            if servers != tuple(profile.dns_server):
                differences[key] = servers
        elif live_value != (getattr(profile, key) or ""):
            differences[key] = live_value
    return differences


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):", re.M)
_FLOW_ROUTERS = re.compile(r"^routers: \[(?P<names>[^\]\n]*)\](?P<rest>.*)$", re.M)


def extend_profile_text(
    text: str, router: str, local: Mapping[str, object], already_on_router: bool
) -> str | None:
    """`text` with `router` added to a flow-style `routers: [...]` line and its
    router-local values appended as a `per_router` entry; None when the file is written
    in a way this cannot edit without rewriting it (the admin does it by hand)."""
    if not already_on_router:
        found = _FLOW_ROUTERS.search(text)
        if found is None:
            return None
        names = [name.strip() for name in found["names"].split(",") if name.strip()]
        line = f"routers: [{', '.join([*names, yaml_scalar(router)])}]{found['rest']}"
        text = text[: found.start()] + line + text[found.end() :]
    if not local:
        return text
    keys = _TOP_KEY.findall(text)
    entry = [f"  {yaml_scalar(router)}:  # this router's own values, read by `isk import`"]
    for key, value in local.items():
        if isinstance(value, tuple):
            value_text = "[" + ", ".join(yaml_scalar(part) for part in value) + "]"
        else:
            value_text = yaml_scalar(value)
        entry.append(f"    {key}: {value_text}")
    if "per_router" not in keys:
        entry.insert(0, "per_router:")
    elif keys[-1] != "per_router":
        return None
    return text.rstrip("\n") + "\n" + "\n".join(entry) + "\n"


def default_paid_through(settings: Settings, as_of: date) -> date:
    """The last day of the period that starts on import day: an account the router has
    enabled is taken as paid for the current period (the admin corrects it per customer)."""
    if settings.billing.cycle == "monthly":
        return add_months(as_of, 1) - timedelta(days=1)
    return as_of + timedelta(days=29)


def unpaid_since(settings: Settings, as_of: date) -> date:
    """A billing start whose first invoice is already past grace on `as_of`: an account
    the router had disabled stays disabled until it is paid, with a true reason."""
    grace = timedelta(days=settings.billing.grace_days)
    start = as_of - grace - timedelta(days=1)
    if settings.billing.mode == "postpaid":  # due the day after the first period ends
        start = (
            add_months(start, -1) if settings.billing.cycle == "monthly" else start - timedelta(30)
        )
    return start


@dataclass(frozen=True)
class Adoption:
    """How an imported account is billed: from import day, after an opening balance."""

    as_of: date
    paid_through: date
    settings: Settings
    free: bool


def split_comment(comment: str) -> tuple[str, str | None, str]:
    """(name, phone in 62... form or None, the rest) of a Winbox comment such as
    "Budi Santoso - RT 01 - 0812 3456 7890"."""
    phone = None
    found = _PHONE.search(comment)
    if found:
        digits = re.sub(r"\D", "", found.group())
        phone = "+62" + digits[2:] if digits.startswith("62") else "+62" + digits[1:]
        comment = (comment[: found.start()] + comment[found.end() :]).strip()
    parts = [part.strip() for part in _SEPARATORS.split(comment) if part.strip(" -")]
    if not parts:
        return "", phone, ""
    return parts[0], phone, " - ".join(parts[1:])


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
    billing: Adoption,
    password: str | None,
) -> str:
    attrs = item.attrs
    comment = attrs.get("comment", "").strip()
    name, phone, _ = split_comment(comment)
    lines = [
        f"# Customer {customer_id}: imported from router {router} by `isk import`"
        f" on {billing.as_of}.",
        "# TODO: check name and phone, and the opening balance below (what was paid before).",
        f"name: {yaml_scalar(name or item.name)}",
    ]
    if phone:
        lines.append(f"phone: {yaml_scalar(phone)}")
    lines.append(f"router: {yaml_scalar(router)}")
    lines += _billing_lines(item, billing, comment)
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
        lines.append(f"notes: {yaml_scalar(comment)}  # the router's comment, as it was")
    return "\n".join(lines) + "\n"


def _billing_lines(item: LiveItem, billing: Adoption, comment: str) -> list[str]:
    """start, profile, status and opening balance of an imported account."""
    disabled = item.attrs.get("disabled", "") in TRUE_WORDS
    profile = f"profile: {yaml_scalar(item.attrs.get('profile', 'default'))}"
    manual = disabled and any(word in comment.lower() for word in MANUAL_REASONS)
    if billing.free:
        return [
            f"start: {billing.as_of.isoformat()}",
            profile,
            "status: free  # TODO: the package has no price yet; set it, then `status: active`",
        ]
    if disabled and not manual:
        since = unpaid_since(billing.settings, billing.as_of)
        return [
            f"# Disabled on the router at import: billed as unpaid from {since} so that it",
            "# stays disabled until paid (`isk pay`). Set the real start if you know it.",
            f"start: {since.isoformat()}",
            profile,
            "status: active",
        ]
    lines = [
        "# Service began before isk; billing starts after the opening balance.",
        f"start: {billing.as_of.isoformat()}",
        profile,
        f"status: {'suspended' if manual else 'active'}",
    ]
    if manual:
        lines.append(f"suspend_reason: {yaml_scalar('disabled on the router: ' + comment)}")
    lines += [
        "opening:",
        f"  paid_through: {billing.paid_through.isoformat()}  # TODO: check with your records",
        f"  note: {yaml_scalar(f'enabled on the router at import on {billing.as_of}')}",
    ]
    return lines


def write_importable(
    files: Mapping[str, str], create: Callable[[Mapping[str, str]], object]
) -> tuple[dict[str, str], list[str]]:
    """Create `files` with `create` (which validates the whole repository and removes what
    it wrote on failure); a file the validation blames is left out with a note and the
    rest is tried again, so one entry the model cannot hold never aborts the import.
    Returns (written files, skip notes). Errors in files the import did not write are
    the repository's own: they are raised, with nothing written."""
    from isk_reconcile.errors import ValidationFailed

    remaining = dict(files)  # an extended profile stays in: dropping it drops its customers
    notes: list[str] = []
    while remaining:
        try:
            create(remaining)
        except ValidationFailed as failure:
            blamed = {error.loc.file for error in failure.errors if error.severity == "error"}
            ours = blamed & remaining.keys()
            if not ours:  # the repository's own errors: nothing of ours to leave out
                raise
            for error in failure.errors:
                if error.loc.file in ours:
                    notes.append(f"{error.loc.file}: not imported: {error}")
            for path in ours:
                del remaining[path]
            continue
        return remaining, notes
    return {}, notes
