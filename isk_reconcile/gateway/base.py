"""The gateway interface: what `isk invoice link`, `isk serve` and `isk payments reconcile`
need from a payment gateway, as plain values. One module per gateway implements it
(midtrans.py, xendit.py); Tripay or Duitku would be one more module each.

An order id names the customer and the invoice it pays, plus a random nonce (a gateway
refuses to reuse an order id): `<customer>~<invoice period start YYYYMMDD>~<nonce>`. A
customer id never contains '~', so the id splits back unambiguously.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal, Protocol

from isk_reconcile.errors import IskError
from isk_reconcile.state.base import CUSTOMER_ID

# What the gateway says happened, in the words the ledger needs.
Outcome = Literal["pending", "settled", "refunded", "failed", "expired", "unknown"]
Method = Literal["cash", "transfer", "qris", "ewallet", "other"]

ORDER_ID = re.compile(
    r"^(?P<customer>[a-z0-9][a-z0-9._-]{0,62})~(?P<day>\d{8})~(?P<nonce>[0-9a-f]{6,16})$"
)


MAX_AMOUNT = 10**12  # Rp1 trillion: far above any ISP payment, far below absurd input


class GatewayError(IskError):
    """The gateway could not be reached or answered something unusable (never holds a key)."""


class Refused(Exception):
    """A callback that must not change anything; `status` is the HTTP answer to give."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Order:
    """What a payment link asks for."""

    order_id: str
    customer: str
    invoice: str  # the billing engine's invoice id, "<customer>/<period start>"
    amount: int
    description: str
    name: str
    phone: str | None = None
    email: str | None = None
    expiry_hours: int = 72


@dataclass(frozen=True)
class PaymentLink:
    order_id: str
    url: str
    gateway_id: str  # Snap token / Xendit invoice id
    expires: str | None = None


@dataclass(frozen=True)
class Refund:
    key: str  # the gateway's id for this refund, unique within its transaction
    amount: int
    day: date | None  # None: the gateway did not say; recorded on the day it is seen


@dataclass(frozen=True)
class Transaction:
    """A gateway's answer about one payment, from its status API (the only thing believed)."""

    gateway: str
    order_id: str
    transaction_id: str  # becomes the ledger entry's `reference`
    outcome: Outcome
    raw_status: str
    amount: int
    method: Method
    paid_on: date | None
    refunds: tuple[Refund, ...] = ()


@dataclass(frozen=True)
class Notice:
    """A callback whose signature or token checked out: what it claims, not yet believed."""

    gateway: str
    order_id: str
    lookup: str  # what the status API is asked about (order id, or invoice id)
    claimed_status: str
    claimed_amount: int | None
    fields: Mapping[str, str] = field(default_factory=dict)


class Gateway(Protocol):
    name: str

    def create_link(self, order: Order) -> PaymentLink: ...

    def status(self, lookup: str) -> Transaction | None:
        """The transaction as the gateway's status API reports it; None when unknown."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """Check a callback's signature or token; raise Refused when it does not check out."""

    def settled_since(self, since: date, known_orders: Iterable[str]) -> Iterable[Transaction]:
        """Settled (or refunded) transactions since `since` that the gateway can list;
        gateways without a listing API look up `known_orders` one by one."""


# --- order ids ------------------------------------------------------------------------------


def new_order_id(customer: str, period_start: date, max_length: int) -> str:
    order_id = f"{customer}~{period_start:%Y%m%d}~{secrets.token_hex(4)}"
    if len(order_id) > max_length:
        raise IskError(
            f"customer id {customer!r} is too long for this gateway's order ids "
            f"(at most {max_length - 18} characters)"
        )
    return order_id


@dataclass(frozen=True)
class OrderRef:
    customer: str
    period_start: date


def parse_order_id(order_id: str) -> OrderRef | None:
    """The customer and invoice an order id names, or None when it is not one of ours."""
    found = ORDER_ID.match(order_id)
    if not found or not CUSTOMER_ID.match(found["customer"]):
        return None
    text = found["day"]
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return OrderRef(found["customer"], day)


def whole_rupiah(value: object, what: str = "amount") -> int:
    """A gateway amount ("150000.00", 150000, 150000.0) as integer rupiah; anything with
    cents or not a number is refused (money is never a float in the ledger)."""
    if isinstance(value, bool):
        raise Refused(f"{what} is not a number")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Refused(f"{what} {str(value)[:40]!r} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value() or number <= 0:
        raise Refused(f"{what} {str(value)[:40]!r} is not a positive whole rupiah amount")
    if number > MAX_AMOUNT:
        raise Refused(f"{what} {str(value)[:40]!r} is larger than any payment isk records")
    return int(number)


def text_field(payload: Mapping[str, object], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise Refused(f"the callback has no {key}")
    return value
