"""Pure parts of online payments: order ids, amounts, callback verification on any input,
the mapping to ledger entries, and the settings that say where keys may be sent."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.errors import ValidationFailed
from isk_reconcile.gateway.base import (
    Refund,
    Refused,
    Transaction,
    new_order_id,
    parse_order_id,
    whole_rupiah,
)
from isk_reconcile.gateway.ledger import entries_for, missing
from isk_reconcile.gateway.midtrans import Midtrans
from isk_reconcile.gateway.xendit import Xendit
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.settings import MidtransSettings, XenditSettings

KEY = "SB-Mid-server-core"
CUSTOMER_IDS = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,30}", fullmatch=True)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(CUSTOMER_IDS, DAYS)
def test_an_order_id_names_its_customer_and_invoice(customer: str, day: date) -> None:
    order_id = new_order_id(customer, day, 50)
    assert len(order_id) <= 50
    parsed = parse_order_id(order_id)
    assert parsed is not None and (parsed.customer, parsed.period_start) == (customer, day)
    assert new_order_id(customer, day, 50) != order_id  # a fresh nonce every time


@given(st.text(max_size=80))
def test_any_text_is_an_order_id_or_not_never_an_error(text: str) -> None:
    parsed = parse_order_id(text)
    assert parsed is None or text.startswith(parsed.customer + "~")


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)))
def test_amounts_are_whole_positive_rupiah_or_refused(value: object) -> None:
    try:
        amount = whole_rupiah(value)
    except Refused:
        return
    assert isinstance(amount, int) and amount > 0 and not isinstance(value, bool)


def test_amount_examples() -> None:
    assert whole_rupiah("150000.00") == 150000 and whole_rupiah(150000) == 150000
    for bad in ("150000.50", "-1", "0", "1e400", "NaN", True, None):
        with pytest.raises(Refused):
            whole_rupiah(bad)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "order_id",
            "status_code",
            "gross_amount",
            "signature_key",
            "transaction_status",
            "id",
            "external_id",
            "status",
            "paid_amount",
        ]
    ),
    JSON,
)


@settings(max_examples=200)
@given(st.one_of(FIELDS.map(json.dumps), st.text(max_size=50)), st.text(max_size=30))
def test_no_callback_body_is_an_internal_error(body: str, token: str) -> None:
    """Any body either verifies or is refused with a 4xx; nothing else escapes."""
    gateways = (
        Midtrans(MidtransSettings(api_url="http://127.0.0.1:9"), {"ISK_MIDTRANS_SERVER_KEY": KEY}),
        Xendit(
            XenditSettings(api_url="http://127.0.0.1:9"),
            {"ISK_XENDIT_SECRET_KEY": "k", "ISK_XENDIT_CALLBACK_TOKEN": "right-token"},
        ),
    )
    for gateway in gateways:
        try:
            gateway.verify({"x-callback-token": token}, body.encode())
        except Refused as refused:
            assert 400 <= refused.status < 500 and refused.reason
        else:
            assert gateway.name == "xendit" and token == "right-token"


def test_a_documented_midtrans_signature_verifies() -> None:
    gateway = Midtrans(MidtransSettings(), {"ISK_MIDTRANS_SERVER_KEY": KEY})
    body = {
        "order_id": "budi~20261105~abcdef01",
        "status_code": "200",
        "gross_amount": "150000.00",
        "transaction_status": "settlement",
    }
    text = body["order_id"] + body["status_code"] + body["gross_amount"] + KEY
    body["signature_key"] = hashlib.sha512(text.encode()).hexdigest()
    notice = gateway.verify({}, json.dumps(body).encode())
    assert (notice.order_id, notice.claimed_amount, notice.claimed_status) == (
        "budi~20261105~abcdef01",
        150000,
        "settlement",
    )
    assert KEY not in repr(gateway)


def transaction(outcome: str, refunds: tuple[Refund, ...] = ()) -> Transaction:
    return Transaction(
        "midtrans",
        "budi~20261105~abcdef01",
        "tx-1",
        outcome,
        outcome,  # type: ignore[arg-type]
        150000,
        "qris",
        date(2026, 11, 6),
        refunds,
    )


def test_a_transaction_calls_for_a_payment_and_each_refund_once() -> None:
    today = date(2026, 11, 29)
    assert entries_for(transaction("pending"), today) == ()
    assert entries_for(transaction("expired"), today) == ()
    wanted = entries_for(transaction("refunded", (Refund("7", 50000, None),)), today)
    assert [(e.kind, e.amount, e.reference, e.date) for e in wanted] == [
        ("payment", 150000, "tx-1", date(2026, 11, 6)),
        ("refund", 50000, "tx-1 refund 7", today),
    ]
    recorded = LedgerEntry(
        id="P-2026-11-0100",
        customer="budi",
        amount=150000,
        date=date(2026, 11, 6),
        method="qris",
        reference="tx-1",
    )
    assert [e.kind for e in missing(wanted, [recorded])] == ["refund"]


def test_settings_refuse_a_gateway_url_that_is_not_the_gateways(example_repo: Path) -> None:
    settings = example_repo / "state" / "settings.yaml"
    settings.write_text(
        settings.read_text()
        + "payments:\n  midtrans:\n    api_url: https://collector.example.net\n"
    )
    with pytest.raises(ValidationFailed) as failed:
        load_state(example_repo, cache=False)
    (error,) = failed.value.errors
    assert "state/settings.yaml:" in str(error) and "not a midtrans API address" in str(error)


def test_a_gateway_that_never_answers_is_given_up_on_at_the_deadline() -> None:
    """Nothing hangs: a server that accepts and then says nothing costs `deadline` seconds."""
    import socket

    from isk_reconcile.gateway.base import GatewayError
    from isk_reconcile.gateway.http import request_json

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v2/x/status"
        with pytest.raises(GatewayError, match="no answer within 0.5s"):
            request_json("GET", url, authorization="Basic c2VjcmV0Og==", deadline=0.5)


def test_an_unreachable_gateway_is_an_error_without_the_key() -> None:
    import socket

    from isk_reconcile.gateway.base import GatewayError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    gateway = Midtrans(
        MidtransSettings(api_url=f"http://127.0.0.1:{closed}"), {"ISK_MIDTRANS_SERVER_KEY": KEY}
    )
    with pytest.raises(GatewayError) as failed:
        gateway.status("budi~20261105~abcdef01")
    assert "midtrans" in str(failed.value) and KEY not in str(failed.value)
