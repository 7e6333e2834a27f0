"""`isk payments reconcile`: settled gateway transactions the ledger does not hold yet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from isk_reconcile.gateway.base import Gateway, parse_order_id
from isk_reconcile.gateway.ledger import entries_for, missing
from isk_reconcile.gateway.links import journal_path, remembered_orders
from isk_reconcile.state.model import State
from isk_reconcile.state.writer import NewEntry


@dataclass(frozen=True)
class Missing:
    gateway: str
    order_id: str
    transaction_id: str
    entries: tuple[NewEntry, ...]


def missing_transactions(
    state: State,
    gateways: Mapping[str, Gateway],
    since: date,
    today: date,
    git_dir: Path | None,
    extra_orders: Sequence[str] = (),
) -> list[Missing]:
    """Every transaction of ours, paid since `since`, with the entries the ledger lacks.

    Gateways that list transactions (Xendit) are asked for everything paid since; the
    others (Midtrans) are asked about each order in the links journal and `extra_orders`.
    """
    journal = journal_path(git_dir)
    found: list[Missing] = []
    for name, gateway in sorted(gateways.items()):
        known = dict.fromkeys([*remembered_orders(journal, name, since), *extra_orders])
        for transaction in gateway.settled_since(since, known):
            order = parse_order_id(transaction.order_id)
            if order is None or order.customer not in state.customers:
                continue
            lacking = missing(entries_for(transaction, today), state.ledger)
            if lacking:
                found.append(
                    Missing(name, transaction.order_id, transaction.transaction_id, lacking)
                )
    return found
