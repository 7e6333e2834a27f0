"""IP pools on a router: the ones isk manages (routers.yaml `pools:`) and the ones the
router's profiles and secrets name (pure).

A pool is managed when its comment starts with `<prefix>pool` — like every other entry,
ownership is in the router's comment, so a pool someone made in Winbox is never changed or
deleted. A managed pool that is no longer declared is deleted only when nothing on the
router will still use it. A profile or secret that names a pool (an address that is not
an IP) which is neither managed nor on the router is an error before any write: RouterOS
would refuse it half way through the apply ("input does not match any value of
remote-address") and every customer on that profile would lose their address on reconnect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from isk_reconcile.routeros.types import LiveItem
from isk_reconcile.state.routers import Pool, parse_ip_range

# Fields of /ip/pool isk writes (besides name and comment).
POOL_FIELDS = ("ranges", "next-pool")


@dataclass(frozen=True)
class DesiredPool:
    name: str
    attrs: Mapping[str, str]  # name, ranges, next-pool, comment


def pool_comment(prefix: str, pool: Pool) -> str:
    return f"{prefix}pool {pool.comment}".strip()


def desired_pools(pools: Mapping[str, Pool], prefix: str) -> dict[str, DesiredPool]:
    return {
        name: DesiredPool(
            name,
            {
                "name": name,
                "ranges": ",".join(pool.ranges),
                "next-pool": pool.next_pool or "",
                "comment": pool_comment(prefix, pool),
            },
        )
        for name, pool in sorted(pools.items())
    }


def is_pool_name(value: str) -> bool:
    """A profile's local/remote address, or a secret's remote address, names a pool when
    it is set and is not an IP address."""
    if not value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return True
    return False


def pools_named(entries: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """pool name → the first entry naming it (for messages), from desired attributes."""
    named: dict[str, str] = {}
    for attrs in entries:
        for key in ("local-address", "remote-address"):
            value = attrs.get(key, "")
            if is_pool_name(value):
                named.setdefault(value, attrs.get("name", ""))
    return named


def same_pool(desired: Mapping[str, str], live: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The fields that differ, comparing ranges as address spans (RouterOS may print a
    range in another spelling) and "none" as no next pool."""
    diff: dict[str, tuple[str, str]] = {}
    if _spans(desired.get("ranges", "")) != _spans(live.get("ranges", "")):
        diff["ranges"] = (live.get("ranges", ""), desired.get("ranges", ""))
    live_next = "" if live.get("next-pool", "") == "none" else live.get("next-pool", "")
    if desired.get("next-pool", "") != live_next:
        diff["next-pool"] = (live_next, desired.get("next-pool", ""))
    if desired.get("comment", "") != live.get("comment", ""):
        diff["comment"] = (live.get("comment", ""), desired.get("comment", ""))
    return diff


def _spans(text: str) -> frozenset[tuple[int, int, int]]:
    spans = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            spans.add(parse_ip_range(part))
        except ValueError:
            return frozenset({(0, hash(text), 0)})  # unreadable: differs from any valid one
    return frozenset(spans)


def missing_pools(
    named: Mapping[str, str], desired: Mapping[str, DesiredPool], live: Iterable[LiveItem]
) -> list[str]:
    """One sentence per pool that something names but neither isk nor the router has."""
    present = set(desired) | {item.name for item in live}
    return [
        f"'{entry}' names IP pool '{pool}', which is neither in routers.yaml pools nor on "
        "the router: add it to the router's pools (or create it on the router) first"
        for pool, entry in sorted(named.items())
        if pool not in present
    ]


def in_use(named: Mapping[str, str], live_profiles: Iterable[LiveItem],
           live_pools: Iterable[LiveItem]) -> set[str]:  # fmt: skip
    """Pools something on the router will still use: named by a desired entry, by any
    profile on the router, or as another pool's next pool."""
    used = set(named)
    for item in live_profiles:
        used |= set(pools_named([item.attrs]))
    used |= {item.attrs.get("next-pool", "") for item in live_pools}
    return used - {"", "none"}
