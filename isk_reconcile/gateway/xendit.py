"""Xendit Invoices (docs.xendit.co): payment links, the invoice API, invoice callbacks.

- link:   POST {api}/v2/invoices            -> {"id", "invoice_url", "status": "PENDING"}
- status: GET  {api}/v2/invoices/{id}
- list:   GET  {api}/v2/invoices?statuses=["PAID","SETTLED"]&paid_after=...&last_invoice_id=...
- callback: JSON POST carrying the header `x-callback-token` (the account's verification
  token); status PAID or SETTLED means paid, EXPIRED that the link lapsed unpaid.
Calls authenticate with HTTP basic auth, the secret key as user name. Whether it is a
test or a live key decides the mode; the base URL is the same.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from isk_reconcile.errors import IskError
from isk_reconcile.gateway.base import (
    GatewayError,
    Method,
    Notice,
    Order,
    Outcome,
    PaymentLink,
    Refused,
    Transaction,
    text_field,
    whole_rupiah,
)
from isk_reconcile.gateway.http import basic_auth, gateway_message, request_json
from isk_reconcile.state.settings import XenditSettings

KEY_VARIABLE = "ISK_XENDIT_SECRET_KEY"
TOKEN_VARIABLE = "ISK_XENDIT_CALLBACK_TOKEN"
API_URL = "https://api.xendit.co"
ORDER_ID_LENGTH = 64  # our own cap; Xendit's external_id allows more
PAGE = 100
MAX_PAGES = 200
METHODS: dict[str, Method] = {
    "QR_CODE": "qris",
    "EWALLET": "ewallet",
    "BANK_TRANSFER": "transfer",
    "DIRECT_DEBIT": "transfer",
}
OUTCOMES: dict[str, Outcome] = {
    "PAID": "settled",
    "SETTLED": "settled",
    "PENDING": "pending",
    "EXPIRED": "expired",
}


class Xendit:
    name = "xendit"
    order_id_length = ORDER_ID_LENGTH

    def __init__(
        self,
        settings: XenditSettings,
        environ: Mapping[str, str] = os.environ,
        timezone: str = "Asia/Jakarta",
    ) -> None:
        self._key = environ.get(KEY_VARIABLE, "")
        self._token = environ.get(TOKEN_VARIABLE, "")
        if not self._key:
            raise IskError(f"{KEY_VARIABLE} is not set (the Xendit secret API key)")
        self.api_url = settings.api_url or API_URL
        self.zone = ZoneInfo(timezone)

    def __repr__(self) -> str:  # never the key
        return f"Xendit(api_url={self.api_url!r})"

    def _call(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        return request_json(
            method, url, authorization=basic_auth(self._key), body=body, gateway=self.name
        )

    def create_link(self, order: Order) -> PaymentLink:
        body: dict[str, Any] = {
            "external_id": order.order_id,
            "amount": order.amount,
            "description": order.description,
            "invoice_duration": order.expiry_hours * 3600,
            "currency": "IDR",
            "customer": {"given_names": order.name},
        }
        if order.phone:
            body["customer"]["mobile_number"] = order.phone
        if order.email:
            body["customer"]["email"] = order.email
        status, answer = self._call("POST", f"{self.api_url}/v2/invoices", body)
        if status not in (200, 201) or not isinstance(answer, dict):
            raise GatewayError(
                f"xendit refused the invoice (HTTP {status}): {gateway_message(answer)}"
            )
        url, invoice_id = answer.get("invoice_url"), answer.get("id")
        if not isinstance(url, str) or not isinstance(invoice_id, str):
            raise GatewayError("xendit answered without an invoice_url")
        expires = answer.get("expiry_date")
        return PaymentLink(
            order.order_id, url, invoice_id, expires if isinstance(expires, str) else None
        )

    def status(self, lookup: str) -> Transaction | None:
        status, answer = self._call("GET", f"{self.api_url}/v2/invoices/{quote(lookup, safe='')}")
        if status == 404:
            return None
        if status != 200 or not isinstance(answer, dict):
            raise GatewayError(
                f"xendit invoice {lookup} failed (HTTP {status}): {gateway_message(answer)}"
            )
        try:
            return self.transaction(answer)
        except Refused as problem:
            raise GatewayError(f"xendit invoice {lookup}: {problem.reason}") from None

    def verify(self, headers: Mapping[str, str], body: bytes) -> Notice:
        if not self._token:
            raise Refused(f"{TOKEN_VARIABLE} is not set: cannot verify Xendit callbacks", 503)
        given = headers.get("x-callback-token", "")
        if not hmac.compare_digest(given.encode(), self._token.encode()):
            raise Refused("x-callback-token does not match", 403)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Refused("the callback body is not JSON") from None
        if not isinstance(payload, dict):
            raise Refused("the callback body is not a JSON object")
        claimed = payload.get("paid_amount", payload.get("amount"))
        return Notice(
            gateway=self.name,
            order_id=text_field(payload, "external_id"),
            lookup=text_field(payload, "id"),
            claimed_status=text_field(payload, "status"),
            claimed_amount=whole_rupiah(claimed, "paid_amount") if claimed is not None else None,
        )

    def settled_since(self, since: date, known_orders: Iterable[str]) -> Iterator[Transaction]:
        start = datetime.combine(since, time(), self.zone).astimezone(ZoneInfo("UTC"))
        after: str | None = None
        for _ in range(MAX_PAGES):
            query = {
                "statuses": json.dumps(["PAID", "SETTLED"]),
                "paid_after": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "limit": str(PAGE),
            }
            if after:
                query["last_invoice_id"] = after
            status, answer = self._call("GET", f"{self.api_url}/v2/invoices?{urlencode(query)}")
            if status != 200 or not isinstance(answer, list):
                raise GatewayError(
                    f"xendit invoice list failed (HTTP {status}): {gateway_message(answer)}"
                )
            for item in answer:
                if isinstance(item, dict):
                    yield self.transaction(item)
            if len(answer) < PAGE:
                return
            last = answer[-1]
            after = str(last.get("id")) if isinstance(last, dict) else None
            if not after:
                return
        raise GatewayError(f"xendit invoice list: more than {MAX_PAGES * PAGE} invoices")

    def transaction(self, answer: Mapping[str, Any]) -> Transaction:
        status = str(answer.get("status", ""))
        paid = answer.get("paid_amount", answer.get("amount"))
        return Transaction(
            gateway=self.name,
            order_id=text_field(answer, "external_id"),
            transaction_id=text_field(answer, "id"),
            outcome=OUTCOMES.get(status, "unknown"),
            raw_status=status,
            amount=whole_rupiah(paid, "paid_amount"),
            method=METHODS.get(str(answer.get("payment_method", "")), "other"),
            paid_on=self._day(answer.get("paid_at")),
        )

    def _day(self, value: object) -> date | None:
        """paid_at is an ISO instant in UTC; the ledger wants the local date."""
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(self.zone).date()
