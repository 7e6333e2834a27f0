"""Midtrans Snap (docs.midtrans.com): payment links, the status API, HTTP notifications.

- link:   POST {snap}/snap/v1/transactions  -> {"token", "redirect_url"}
- status: GET  {api}/v2/{order_id}/status
- notification: JSON POST; signature_key = SHA-512(order_id + status_code + gross_amount
  + server key), hex. `transaction_status` settlement, or capture with fraud_status accept,
  means paid; pending / deny / cancel / expire / failure mean not (yet) paid; refund and
  partial_refund list the refunds.
All calls authenticate with HTTP basic auth, the server key as user name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from isk_reconcile.errors import IskError
from isk_reconcile.gateway.base import (
    GatewayError,
    Method,
    Notice,
    Order,
    Outcome,
    PaymentLink,
    Refund,
    Refused,
    Transaction,
    text_field,
    whole_rupiah,
)
from isk_reconcile.gateway.http import basic_auth, gateway_message, request_json
from isk_reconcile.state.settings import MidtransSettings

KEY_VARIABLE = "ISK_MIDTRANS_SERVER_KEY"
ORDER_ID_LENGTH = 50  # Snap's limit on transaction_details.order_id
URLS = {
    "sandbox": ("https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com"),
    "production": ("https://api.midtrans.com", "https://app.midtrans.com"),
}
METHODS: dict[str, Method] = {
    "qris": "qris",
    "gopay": "ewallet",
    "shopeepay": "ewallet",
    "dana": "ewallet",
    "bank_transfer": "transfer",
    "echannel": "transfer",
    "permata": "transfer",
    "bca_klikpay": "transfer",
    "bca_klikbca": "transfer",
    "bri_epay": "transfer",
    "cimb_clicks": "transfer",
    "danamon_online": "transfer",
    "uob_ezpay": "transfer",
}
OUTCOMES: dict[str, Outcome] = {
    "settlement": "settled",
    "pending": "pending",
    "authorize": "pending",
    "deny": "failed",
    "cancel": "failed",
    "failure": "failed",
    "expire": "expired",
    "refund": "refunded",
    "partial_refund": "refunded",
    "chargeback": "refunded",
    "partial_chargeback": "refunded",
}


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """The notification's signature_key, exactly as Midtrans documents it."""
    text = order_id + status_code + gross_amount + server_key
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


class Midtrans:
    name = "midtrans"
    order_id_length = ORDER_ID_LENGTH

    def __init__(self, settings: MidtransSettings, environ: Mapping[str, str] = os.environ) -> None:
        key = environ.get(KEY_VARIABLE, "")
        if not key:
            raise IskError(f"{KEY_VARIABLE} is not set (the Midtrans server key)")
        self._key = key
        api, snap = URLS[settings.environment]
        self.api_url = settings.api_url or api
        self.snap_url = settings.snap_url or snap

    def __repr__(self) -> str:  # never the key
        return f"Midtrans(api_url={self.api_url!r})"

    def _call(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        return request_json(
            method, url, authorization=basic_auth(self._key), body=body, gateway=self.name
        )

    def create_link(self, order: Order) -> PaymentLink:
        body = {
            "transaction_details": {"order_id": order.order_id, "gross_amount": order.amount},
            "item_details": [
                {
                    "id": order.invoice[:50],
                    "price": order.amount,
                    "quantity": 1,
                    "name": order.description[:50],
                }
            ],
            "customer_details": _customer(order),
            "expiry": {"unit": "hour", "duration": order.expiry_hours},
        }
        status, answer = self._call("POST", f"{self.snap_url}/snap/v1/transactions", body)
        if status not in (200, 201) or not isinstance(answer, dict):
            raise GatewayError(
                f"midtrans refused the link (HTTP {status}): {gateway_message(answer)}"
            )
        url, token = answer.get("redirect_url"), answer.get("token")
        if not isinstance(url, str) or not isinstance(token, str):
            raise GatewayError("midtrans answered without a redirect_url")
        return PaymentLink(order.order_id, url, token)

    def status(self, lookup: str) -> Transaction | None:
        url = f"{self.api_url}/v2/{quote(lookup, safe='')}/status"
        status, answer = self._call("GET", url)
        code = str(answer.get("status_code", "")) if isinstance(answer, dict) else ""
        if status == 404 or code == "404":
            return None
        if status != 200 or not isinstance(answer, dict):
            raise GatewayError(
                f"midtrans status of {lookup} failed (HTTP {status}): {gateway_message(answer)}"
            )
        try:
            return transaction(answer)
        except Refused as problem:
            raise GatewayError(f"midtrans status of {lookup}: {problem.reason}") from None

    def verify(self, headers: Mapping[str, str], body: bytes) -> Notice:
        payload = _json_object(body)
        order_id = text_field(payload, "order_id")
        status_code = text_field(payload, "status_code")
        gross = text_field(payload, "gross_amount")
        given = text_field(payload, "signature_key")
        expected = signature(order_id, status_code, gross, self._key)
        if not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise Refused("signature_key does not match", 403)
        return Notice(
            gateway=self.name,
            order_id=order_id,
            lookup=order_id,
            claimed_status=text_field(payload, "transaction_status"),
            claimed_amount=whole_rupiah(gross, "gross_amount"),
        )

    def settled_since(self, since: date, known_orders: Iterable[str]) -> Iterator[Transaction]:
        # Midtrans has no API that lists transactions: ask about each order we made.
        for order_id in known_orders:
            found = self.status(order_id)
            if found and found.outcome in ("settled", "refunded") and _on_or_after(found, since):
                yield found


def _on_or_after(found: Transaction, since: date) -> bool:
    return found.paid_on is None or found.paid_on >= since


def _customer(order: Order) -> dict[str, str]:
    details = {"first_name": order.name[:255]}
    if order.phone:
        details["phone"] = order.phone
    if order.email:
        details["email"] = order.email
    return details


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused("the callback body is not JSON") from None
    if not isinstance(payload, dict):
        raise Refused("the callback body is not a JSON object")
    return payload


def _day(value: object) -> date | None:
    # "2026-11-30 10:01:02", Midtrans' local time (WIB): the date part is the local date.
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _outcome(answer: Mapping[str, Any]) -> Outcome:
    status = str(answer.get("transaction_status", ""))
    if status == "capture":  # card payments: paid only once the fraud check accepts it
        fraud = answer.get("fraud_status")
        return "settled" if fraud == "accept" else "failed" if fraud == "deny" else "pending"
    return OUTCOMES.get(status, "unknown")


def transaction(answer: Mapping[str, Any]) -> Transaction:
    """The status API's (or a notification's) JSON as a Transaction."""
    outcome = _outcome(answer)
    refunds = _refunds(answer) if outcome == "refunded" else ()
    return Transaction(
        gateway="midtrans",
        order_id=text_field(answer, "order_id"),
        transaction_id=text_field(answer, "transaction_id"),
        outcome=outcome,
        raw_status=str(answer.get("transaction_status", "")),
        amount=whole_rupiah(answer.get("gross_amount"), "gross_amount"),
        method=METHODS.get(str(answer.get("payment_type", "")), "other"),
        paid_on=_day(answer.get("settlement_time")) or _day(answer.get("transaction_time")),
        refunds=refunds,
    )


def _refunds(answer: Mapping[str, Any]) -> tuple[Refund, ...]:
    listed = answer.get("refunds")
    found: list[Refund] = []
    if isinstance(listed, list):
        for position, item in enumerate(listed, start=1):
            if not isinstance(item, dict):
                continue
            key = item.get("refund_chargeback_id") or item.get("refund_key") or position
            day = _day(item.get("created_at")) or _day(answer.get("transaction_time"))
            amount = whole_rupiah(item.get("refund_amount"), "refund_amount")
            found.append(Refund(str(key), amount, day))
    if not found:  # no itemised list: one refund of the total refunded
        total = answer.get("refund_amount") or answer.get("gross_amount")
        found.append(Refund("1", whole_rupiah(total, "refund_amount"), None))
    return tuple(found)
