"""Cross-file rules for managed IP pools (routers.yaml `pools:`), pure.

Within one router no two pool ranges may overlap (RouterOS would hand the same address to
two customers), a `next_pool` names a pool of the same router, and a customer's static
address may not lie inside a pool's range (the pool would give it to someone else too).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from isk_reconcile.state.customers import Customer
from isk_reconcile.state.routers import Router, parse_ip_range


@dataclass(frozen=True)
class PoolProblem:
    router: str
    pool: str
    path: tuple[str | int, ...]  # inside the router's entry of routers.yaml
    message: str
    hint: str = ""
    customer: str | None = None  # set when the problem is a customer's static address


def pool_problems(
    routers: Mapping[str, Router], customers: Iterable[Customer]
) -> list[PoolProblem]:
    problems: list[PoolProblem] = []
    for router in routers.values():
        problems += _overlaps(router)
        for name, pool in router.pools.items():
            if pool.next_pool is not None and pool.next_pool not in router.pools:
                problems.append(
                    PoolProblem(
                        router.name,
                        name,
                        ("pools", name, "next_pool"),
                        f"next_pool '{pool.next_pool}' is not a pool of this router",
                        "name one of this router's pools",
                    )  # fmt: skip
                )
    for customer in customers:
        problems += _static_inside(routers.get(customer.router), customer)
    return problems


def _overlaps(router: Router) -> list[PoolProblem]:
    spans = [
        (version, first, last, name, index)
        for name, pool in router.pools.items()
        for index, (version, first, last) in enumerate(pool.spans())
    ]
    spans.sort()
    problems = []
    for before, after in zip(spans, spans[1:], strict=False):
        if before[0] == after[0] and after[1] <= before[2]:
            name, index = after[3], after[4]
            problems.append(
                PoolProblem(
                    router.name,
                    name,
                    ("pools", name, "ranges", index),
                    f"range {router.pools[name].ranges[index]} overlaps "
                    f"{router.pools[before[3]].ranges[before[4]]} of pool '{before[3]}'",
                    "pools of one router may not share addresses",
                )  # fmt: skip
            )
    return problems


def _static_inside(router: Router | None, customer: Customer) -> list[PoolProblem]:
    address = customer.pppoe.remote_address
    if router is None or not address:
        return []
    try:
        value = int(ipaddress.ip_address(address))
    except ValueError:
        return []  # a pool name, not a static address
    for name, pool in router.pools.items():
        for text in pool.ranges:
            _, first, last = parse_ip_range(text)
            if first <= value <= last:
                return [
                    PoolProblem(
                        router.name,
                        name,
                        (),
                        f"static address {address} is inside "
                        f"pool '{name}' ({text}) of router '{router.name}'",
                        "pick an address outside every pool, or shrink the pool",
                        customer=customer.id,
                    )  # fmt: skip
                ]
    return []
