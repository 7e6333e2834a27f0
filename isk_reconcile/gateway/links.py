"""Payment links for what a customer owes, and the journal of links made.

The journal (JSON lines, outside the work tree: in the clone's git directory unless
$ISK_PAYMENTS_JOURNAL says otherwise) lets `isk payments reconcile` ask gateways that
cannot list their transactions (Midtrans) about every order isk made.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path

from isk_reconcile.billing.engine import rupiah, standing
from isk_reconcile.billing.invoices import Invoice
from isk_reconcile.errors import IskError
from isk_reconcile.gateway.base import Order, PaymentLink, new_order_id
from isk_reconcile.state.model import State

JOURNAL_VARIABLE = "ISK_PAYMENTS_JOURNAL"


def amount_due(
    state: State, customer_id: str, as_of: date, invoice_id: str | None
) -> tuple[Invoice, int]:
    """(the invoice the link is for, the amount to ask): the named invoice's outstanding
    amount, else everything due on as_of (oldest unpaid invoice named)."""
    found = standing(state, customer_id, as_of)
    if invoice_id is not None:
        invoice = next((i for i in found.invoices if i.id == invoice_id), None)
        if invoice is None:
            known = ", ".join(i.id for i in found.invoices[-3:]) or "none yet"
            raise IskError(f"no invoice {invoice_id} for {customer_id} (latest: {known})")
        if invoice.outstanding <= 0:
            raise IskError(f"invoice {invoice_id} is already paid")
        return invoice, invoice.outstanding
    unpaid = [i for i in found.invoices if i.outstanding > 0 and i.due <= as_of]
    if not unpaid or found.balance >= 0:
        raise IskError(
            f"nothing is due for {customer_id} on {as_of} (balance {rupiah(found.balance)}): "
            "pass --invoice to ask for a specific invoice"
        )
    return unpaid[0], -found.balance


def order_for(
    state: State,
    customer_id: str,
    as_of: date,
    invoice_id: str | None,
    max_length: int,
) -> Order:
    customer = state.customers.get(customer_id)
    if customer is None:
        raise IskError(f"no such customer: {customer_id}")
    invoice, amount = amount_due(state, customer_id, as_of, invoice_id)
    period = f"{invoice.period.start:%Y-%m-%d}..{invoice.period.end:%Y-%m-%d}"
    return Order(
        order_id=new_order_id(customer_id, invoice.period.start, max_length),
        customer=customer_id,
        invoice=invoice.id,
        amount=amount,
        description=f"Internet {customer_id} {period}",
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        expiry_hours=state.settings.payments.link_expiry_hours,
    )


def journal_path(git_dir: Path | None) -> Path | None:
    configured = os.environ.get(JOURNAL_VARIABLE)
    if configured:
        return Path(configured)
    return None if git_dir is None else git_dir / "isk-payment-links.jsonl"


def remember(
    journal: Path | None, gateway: str, order: Order, link: PaymentLink, made: date
) -> None:
    if journal is None:
        return
    journal.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "gateway": gateway,
        "made": made.isoformat(),
        "amount": order.amount,
        "invoice": order.invoice,
        **asdict(link),
    }
    with journal.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(line, ensure_ascii=True) + "\n")


def remembered_orders(journal: Path | None, gateway: str, since: date) -> Iterator[str]:
    """Order ids of `gateway` links made on or after `since` (a link is paid after it is made)."""
    if journal is None or not journal.is_file():
        return
    with journal.open(encoding="utf-8") as stream:
        for line in stream:
            try:
                item = json.loads(line)
                made = date.fromisoformat(str(item["made"]))
            except (ValueError, KeyError, TypeError):
                continue
            if (
                item.get("gateway") == gateway
                and made >= since
                and isinstance(item.get("order_id"), str)
            ):
                yield item["order_id"]
