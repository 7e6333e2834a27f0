"""Delivery against real HTTP servers on 127.0.0.1 standing in for the gateways."""

from __future__ import annotations

from isk_reconcile.notify.gateways import Message, deliver
from isk_reconcile.state.settings import NotifyChannel

META = {
    "event": "invoice.upcoming",
    "key": "invoice.upcoming:budi/2026-12-01:3",
    "customer": "budi",
}
ENV = {"ISK_NOTIFY_TOKEN": "s3cret-token"}


def channel(kind: str, url: str, timeout: float = 2) -> NotifyChannel:
    return NotifyChannel(kind=kind, url=url, token_env="ISK_NOTIFY_TOKEN", timeout=timeout)


def test_fonnte_success_is_judged_by_status_true(gateways, fake) -> None:
    gateway = gateways(fake.fonnte_ok)
    reply = deliver(channel("fonnte", gateway.url), Message("628123", "Halo", META), ENV)
    assert reply.ok and reply.id == "fonnte-0"
    (request,) = gateway.received
    assert request.path == "/send"
    assert request.headers["Authorization"] == "s3cret-token"
    assert request.fields == {"target": "628123", "message": "Halo"}


def test_fonnte_http_200_with_status_false_is_a_failure(gateways, fake) -> None:
    gateway = gateways(fake.fonnte_refused)
    reply = deliver(channel("fonnte", gateway.url), Message("628123", "Halo", META), ENV)
    assert not reply.ok
    assert "device disconnected" in reply.error and "HTTP 200" in reply.error


def test_a_gateway_that_hangs_fails_within_the_deadline(gateways, fake) -> None:
    gateway = gateways(fake.hang)
    reply = deliver(channel("fonnte", gateway.url, timeout=0.5), Message("62", "x", META), ENV)
    assert not reply.ok and "within 0.5s" in reply.error


def test_an_unreachable_gateway_is_a_failure_without_the_token(gateways, fake) -> None:
    gateway = gateways(fake.fonnte_ok)
    url = f"http://127.0.0.1:{gateway.port}"
    gateway_down = channel("telegram", url.replace(str(gateway.port), "1"))
    reply = deliver(gateway_down, Message("42", "x", META), ENV)
    assert not reply.ok and reply.error
    assert "s3cret-token" not in reply.error


def test_telegram_bot_api_with_custom_base_url(gateways, fake) -> None:
    gateway = gateways(fake.telegram_ok)
    reply = deliver(channel("telegram", gateway.url), Message("-10042", "hi", META), ENV)
    assert reply.ok and reply.id == "1000"
    (request,) = gateway.received
    assert request.path == "/bots3cret-token/sendMessage"
    assert request.fields == {"chat_id": "-10042", "text": "hi"}


def test_telegram_ok_false_is_a_failure(gateways) -> None:
    gateway = gateways(lambda n: (400, {"ok": False, "description": "chat not found"}))
    reply = deliver(channel("telegram", gateway.url), Message("1", "hi", META), ENV)
    assert not reply.ok and "chat not found" in reply.error
    assert "s3cret-token" not in reply.error


def test_json_webhook_through_apprise_carries_recipient_and_key(gateways, fake) -> None:
    gateway = gateways(fake.webhook_ok)
    url = f"json://127.0.0.1:{gateway.port}/hook"
    reply = deliver(channel("json", url), Message("628123", "Halo Budi", META), ENV)
    assert reply.ok
    (request,) = gateway.received
    assert request.path == "/hook"
    assert request.fields["message"] == "Halo Budi"
    assert request.fields["to"] == "628123"
    assert request.fields["key"] == META["key"]
    assert request.headers["Authorization"] == "Bearer s3cret-token"


def test_form_webhook_http_error_is_a_failure(gateways) -> None:
    gateway = gateways(lambda n: (503, {}))
    url = f"form://127.0.0.1:{gateway.port}/hook"
    reply = deliver(channel("form", url), Message("628123", "Halo", META), ENV)
    assert not reply.ok
    assert gateway.received[0].fields["message"] == "Halo"
