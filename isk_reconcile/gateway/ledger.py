"""From a gateway transaction to ledger entries (pure).

A transaction calls for a `payment` entry once it was ever paid (settled, or refunded
since) and one `refund` entry per refund. Each entry is known by (kind, reference): the
payment's reference is the gateway's transaction id, a refund's is the transaction id
followed by the refund's id. An entry already in the ledger with that kind and reference
is never written again, which makes recording a transaction idempotent however often,
and in whatever order, its callbacks arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from isk_reconcile.gateway.base import Transaction, parse_order_id
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.writer import NewEntry


def refund_reference(transaction_id: str, refund_key: str) -> str:
    return f"{transaction_id} refund {refund_key}"


def entries_for(found: Transaction, today: date) -> tuple[NewEntry, ...]:
    """Every entry the transaction calls for; () for pending, failed, expired or not ours."""
    order = parse_order_id(found.order_id)
    if order is None or found.outcome not in ("settled", "refunded"):
        return ()
    note = f"{found.gateway} order {found.order_id}"
    wanted = [
        NewEntry(
            customer=order.customer,
            amount=found.amount,
            date=found.paid_on or today,
            kind="payment",
            method=found.method,
            reference=found.transaction_id,
            note=note,
        )
    ]
    for refund in found.refunds:
        wanted.append(
            NewEntry(
                customer=order.customer,
                amount=refund.amount,
                date=refund.day or today,
                kind="refund",
                method=found.method,
                reference=refund_reference(found.transaction_id, refund.key),
                note=note,
            )
        )
    return tuple(wanted)


def missing(wanted: Iterable[NewEntry], ledger: Iterable[LedgerEntry]) -> tuple[NewEntry, ...]:
    """The wanted entries whose (kind, reference) the ledger does not hold yet."""
    recorded = {(entry.kind, entry.reference) for entry in ledger if entry.reference}
    return tuple(entry for entry in wanted if (entry.kind, entry.reference) not in recorded)
