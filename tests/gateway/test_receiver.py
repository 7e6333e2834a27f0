"""The webhook receiver over real HTTP (uvicorn on loopback) against fake gateway status
APIs, committing into a clone and pushing to a bare remote (issue 16, "Done when")."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from isk_reconcile.gateway.midtrans import Midtrans
from isk_reconcile.gateway.receiver import Receiver
from isk_reconcile.gateway.xendit import Xendit
from isk_reconcile.gitops.publish import Identity, Publisher
from isk_reconcile.state.loader import load_state
from tests.gateway.conftest import (
    MIDTRANS_KEY,
    XENDIT_KEY,
    XENDIT_TOKEN,
    FakeGateways,
    RunningReceiver,
    StateRemote,
    git,
    midtrans_notification,
)

TODAY = date(2026, 11, 29)
CUSTOMER = "heru-setiawan"  # suspended for an unpaid Rp150.000 invoice in the example ISP
ORDER = f"{CUSTOMER}~20261105~0a1b2c3d"
LEDGER = "payments/2026-11.yaml"
ENVIRON = {
    "ISK_MIDTRANS_SERVER_KEY": MIDTRANS_KEY,
    "ISK_XENDIT_SECRET_KEY": XENDIT_KEY,
    "ISK_XENDIT_CALLBACK_TOKEN": XENDIT_TOKEN,
}


@pytest.fixture
def receiver(state_remote: StateRemote, serve_receiver: Any) -> RunningReceiver:
    settings = load_state(state_remote.service).settings
    gateways = {
        "midtrans": Midtrans(settings.payments.midtrans, ENVIRON),
        "xendit": Xendit(settings.payments.xendit, ENVIRON, settings.timezone),
    }
    events: list[dict[str, Any]] = []
    publisher = Publisher(state_remote.service, identity=Identity("isk-bot", "bot@isk.test"))
    url = serve_receiver(Receiver(publisher, gateways, events.append, lambda: TODAY))
    return RunningReceiver(url, events)


def ledger_entries(remote: StateRemote) -> list[dict[str, Any]]:
    return yaml.safe_load(remote.remote_file(LEDGER))


def gateway_entries(remote: StateRemote, reference: str) -> list[dict[str, Any]]:
    return [e for e in ledger_entries(remote) if str(e.get("reference", "")).startswith(reference)]


def bot_commits(remote: StateRemote) -> list[str]:
    return [line for line in remote.remote_log() if line.startswith("isk-bot|")]


def test_a_valid_settlement_becomes_one_entry_and_one_pushed_commit(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    before = state_remote.remote_file(LEDGER)
    status = fake_gateways.settle_midtrans(ORDER, 150000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert code == 200 and answer["status"] == "recorded", answer
    after = state_remote.remote_file(LEDGER)
    assert after.startswith(before)  # appended, byte-preserving
    (entry,) = gateway_entries(state_remote, status["transaction_id"])
    assert entry["customer"] == CUSTOMER and entry["amount"] == 150000
    assert entry["kind"] == "payment" and entry["method"] == "qris"
    assert entry["date"] == date(2026, 11, 29) and entry["id"] == answer["entries"][0]
    assert len(bot_commits(state_remote)) == 1
    assert fake_gateways.status_requests(ORDER) == 1  # re-queried before believing it
    assert receiver.events[-1]["status"] == "recorded"
    # The pushed repository is valid and the customer is paid up.
    git(state_remote.admin, "pull", "-q")
    from isk_reconcile.billing.engine import standing

    assert standing(load_state(state_remote.admin), CUSTOMER, TODAY).access == "enabled"


def test_replayed_callbacks_record_exactly_once(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    status = fake_gateways.settle_midtrans(ORDER, 150000, payment_type="bank_transfer")
    body = midtrans_notification(status)
    answers: list[tuple[int, Any]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(receiver.post("/webhooks/midtrans", body)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answers.append(receiver.post("/webhooks/midtrans", body))
    assert all(code == 200 for code, _ in answers), answers
    results = sorted(answer["status"] for _, answer in answers)
    assert results == ["duplicate"] * 4 + ["recorded"]
    (entry,) = gateway_entries(state_remote, status["transaction_id"])
    assert entry["method"] == "transfer"
    assert len(bot_commits(state_remote)) == 1


def refused(receiver: RunningReceiver, code: int, answer: Any, expected: int, words: str) -> None:
    assert code == expected, answer
    assert answer["status"] == "refused" and words in answer["reason"]
    logged = receiver.events[-1]
    assert logged["http_status"] == expected and words in logged["reason"]


def test_a_bad_signature_is_refused_before_asking_the_gateway(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    status = fake_gateways.settle_midtrans(ORDER, 150000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status, key_ok=False))
    refused(receiver, code, answer, 403, "signature_key does not match")
    # A signature over other values (amount raised after signing) fails too.
    tampered = json.loads(midtrans_notification(status))
    tampered["gross_amount"] = "15000.00"
    code, answer = receiver.post("/webhooks/midtrans", json.dumps(tampered).encode())
    refused(receiver, code, answer, 403, "signature_key does not match")
    code, answer = receiver.post("/webhooks/midtrans", b"not json")
    refused(receiver, code, answer, 400, "not JSON")
    assert fake_gateways.status_requests(ORDER) == 0
    assert bot_commits(state_remote) == []


def test_an_amount_that_differs_from_the_status_api_is_refused(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    truth = fake_gateways.settle_midtrans(ORDER, 15000)
    claim = {**truth, "gross_amount": "150000.00"}  # correctly signed, but not what was paid
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(claim))
    refused(receiver, code, answer, 409, "amount mismatch")
    assert bot_commits(state_remote) == []


def test_unknown_orders_change_nothing(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    # Signed, but the status API has never heard of it.
    ghost = fake_gateways.settle_midtrans(ORDER, 150000)
    del fake_gateways.midtrans[ORDER]
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(ghost))
    refused(receiver, code, answer, 409, "does not know order")
    # Not an order isk made (another shop on the same merchant account): acknowledged.
    other = fake_gateways.settle_midtrans("SHOP-2026-0001", 99000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(other))
    assert (code, answer["status"]) == (200, "ignored")
    # Ours in form, but no such customer in the repository.
    stranger = fake_gateways.settle_midtrans("nobody~20261105~0a1b2c3d", 150000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(stranger))
    assert (code, answer["status"]) == (200, "ignored") and "no customer" in answer["reason"]
    assert bot_commits(state_remote) == []


def test_a_settlement_claim_the_status_api_does_not_confirm_is_refused(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    truth = fake_gateways.settle_midtrans(ORDER, 150000, transaction_status="pending")
    claim = {**truth, "transaction_status": "settlement"}
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(claim))
    refused(receiver, code, answer, 409, "status API says pending")
    assert bot_commits(state_remote) == []


@pytest.mark.parametrize("outcome", ["pending", "expire", "cancel", "deny"])
def test_unpaid_outcomes_are_acknowledged_without_a_write(
    outcome: str,
    receiver: RunningReceiver,
    state_remote: StateRemote,
    fake_gateways: FakeGateways,
) -> None:
    status = fake_gateways.settle_midtrans(ORDER, 150000, transaction_status=outcome)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (200, "no change"), answer
    assert bot_commits(state_remote) == []


def test_out_of_order_callbacks_record_the_transactions_true_state_once(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    # The pending notification arrives late, after the payment settled: the status API's
    # answer (settled) is what gets recorded; the settlement notification then changes nothing.
    settled = fake_gateways.settle_midtrans(ORDER, 150000)
    late_pending = {**settled, "transaction_status": "pending", "status_code": "201"}
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(late_pending))
    assert (code, answer["status"]) == (200, "recorded"), answer
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(settled))
    assert (code, answer["status"]) == (200, "duplicate"), answer
    assert len(gateway_entries(state_remote, settled["transaction_id"])) == 1


def test_a_refund_seen_first_records_the_payment_and_the_refund(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    refund = {
        "refund_chargeback_id": 7,
        "refund_amount": "50000.00",
        "created_at": "2026-11-29 22:00:00",
        "reason": "double charge",
    }
    status = fake_gateways.settle_midtrans(
        ORDER,
        150000,
        transaction_status="partial_refund",
        refund_amount="50000.00",
        refunds=[refund],
    )
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (200, "recorded"), answer
    entries = gateway_entries(state_remote, status["transaction_id"])
    assert [(e["kind"], e["amount"]) for e in entries] == [("payment", 150000), ("refund", 50000)]
    assert len(bot_commits(state_remote)) == 1
    # The (earlier) settlement notification arrives now: nothing more to write.
    settled = {**status, "transaction_status": "settlement"}
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(settled))
    assert (code, answer["status"]) == (200, "duplicate"), answer
    assert len(bot_commits(state_remote)) == 1


def xendit_invoice(fake: FakeGateways, status: str = "PAID", **fields: Any) -> dict[str, Any]:
    invoice = {
        "id": "inv00001",
        "external_id": ORDER,
        "user_id": "biz-1",
        "status": status,
        "merchant_name": "ISK-NET",
        "amount": 150000,
        "paid_amount": 150000,
        "payment_method": "BANK_TRANSFER",
        "payment_channel": "BCA",
        "currency": "IDR",
        "paid_at": "2026-11-29T14:05:00.000Z",
        "created": "2026-11-29T13:00:00.000Z",
        "updated": "2026-11-29T14:05:01.000Z",
    }
    invoice.update(fields)
    fake.xendit[invoice["id"]] = invoice
    return invoice


def test_xendit_paid_callback_with_the_token_is_recorded_once(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    invoice = xendit_invoice(fake_gateways)
    body = json.dumps(invoice).encode()
    code, answer = receiver.post("/webhooks/xendit", body, {"x-callback-token": "wrong"})
    refused(receiver, code, answer, 403, "x-callback-token does not match")
    code, answer = receiver.post("/webhooks/xendit", body)
    refused(receiver, code, answer, 403, "x-callback-token does not match")
    for expected in ("recorded", "duplicate"):
        code, answer = receiver.post("/webhooks/xendit", body, {"X-CALLBACK-TOKEN": XENDIT_TOKEN})
        assert (code, answer["status"]) == (200, expected), answer
    (entry,) = gateway_entries(state_remote, "inv00001")
    assert (entry["method"], entry["amount"], entry["date"]) == ("transfer", 150000, TODAY)
    assert len(bot_commits(state_remote)) == 1


def test_xendit_expired_invoice_changes_nothing(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    invoice = xendit_invoice(fake_gateways, "EXPIRED", paid_amount=None, paid_at=None)
    del invoice["paid_amount"], invoice["paid_at"]
    body = json.dumps(invoice).encode()
    code, answer = receiver.post("/webhooks/xendit", body, {"x-callback-token": XENDIT_TOKEN})
    assert (code, answer["status"]) == (200, "no change"), answer
    assert bot_commits(state_remote) == []


def test_unknown_gateway_and_health(receiver: RunningReceiver) -> None:
    code, answer = receiver.post("/webhooks/tripay", b"{}")
    assert code == 404 and "no gateway" in answer["reason"]
    import urllib.request

    with urllib.request.urlopen(receiver.url + "/healthz", timeout=10) as health:
        assert json.loads(health.read()) == {"status": "ok", "gateways": ["midtrans", "xendit"]}


def install_pre_push_race(service: Path, admin: Path, change: str) -> None:
    """Before the service's first push lands, someone else pushes to main (a real race)."""
    hook = service / ".git" / "hooks" / "pre-push"
    marker = service.parent / "raced"
    hook.write_text(
        "#!/bin/sh\n"
        f"[ -e '{marker}' ] && exit 0\n"
        f"touch '{marker}'\n"
        # The hook inherits the service's bot identity; the racing commit is the admin's.
        "unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL\n"
        f"cd '{admin}' && git pull -q && {change} && git commit -qam 'admin change' "
        "&& git push -q origin main\n"
    )
    hook.chmod(0o755)


ADMIN_ENTRY = (
    "printf -- '- id: P-2026-11-0900\\n  customer: budi-santoso\\n  amount: 1000\\n"
    "  date: 2026-11-29\\n  kind: payment\\n  method: cash\\n' >> payments/2026-11.yaml"
)
ADMIN_NOTE = "printf '# moved to ODP-04\\n' >> state/customers/budi-santoso.yaml"


@pytest.mark.parametrize("change", [ADMIN_ENTRY, ADMIN_NOTE], ids=["same-file", "other-file"])
def test_a_push_that_loses_the_race_is_rebased_and_retried_never_forced(
    change: str,
    receiver: RunningReceiver,
    state_remote: StateRemote,
    fake_gateways: FakeGateways,
) -> None:
    install_pre_push_race(state_remote.service, state_remote.admin, change)
    status = fake_gateways.settle_midtrans(ORDER, 150000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (200, "recorded"), answer
    log = state_remote.remote_log()
    assert log[0].startswith("isk-bot|") and log[1] == "Admin|admin change"  # both kept
    assert len(gateway_entries(state_remote, status["transaction_id"])) == 1
    git(state_remote.admin, "pull", "-q")
    state = load_state(state_remote.admin, cache=False)  # valid: ids unique, nothing lost
    assert any(e.id == "P-2026-11-0900" for e in state.ledger) == (change == ADMIN_ENTRY)


def test_when_the_status_api_is_down_the_gateway_is_asked_to_retry(
    state_remote: StateRemote, serve_receiver: Any, fake_gateways: FakeGateways
) -> None:
    import socket

    from isk_reconcile.state.settings import MidtransSettings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gateway = Midtrans(MidtransSettings(api_url=closed), ENVIRON)
    events: list[dict[str, Any]] = []
    publisher = Publisher(state_remote.service, identity=Identity("isk-bot", "bot@isk.test"))
    url = serve_receiver(Receiver(publisher, {"midtrans": gateway}, events.append, lambda: TODAY))
    down = RunningReceiver(url, events)
    status = fake_gateways.settle_midtrans(ORDER, 150000)
    code, answer = down.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (503, "retry") and "midtrans" in answer["reason"]
    assert events[-1]["http_status"] == 503
    assert bot_commits(state_remote) == []


def test_an_invalid_repository_on_main_is_never_written_to(
    receiver: RunningReceiver, state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    """Validation before commit: when main itself does not validate, nothing is appended
    and the gateway is asked to retry (it succeeds once main is fixed)."""
    customer = state_remote.admin / "state" / "customers" / "budi-santoso.yaml"
    original = customer.read_text()
    customer.write_text(original + "notes: duplicate key\n")
    git(state_remote.admin, "commit", "-qam", "broken")
    git(state_remote.admin, "push", "-q", "origin", "main")
    status = fake_gateways.settle_midtrans(ORDER, 150000)
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (503, "retry"), answer
    assert bot_commits(state_remote) == []
    customer.write_text(original)
    git(state_remote.admin, "commit", "-qam", "fixed")
    git(state_remote.admin, "push", "-q", "origin", "main")
    code, answer = receiver.post("/webhooks/midtrans", midtrans_notification(status))
    assert (code, answer["status"]) == (200, "recorded"), answer
    assert len(bot_commits(state_remote)) == 1
