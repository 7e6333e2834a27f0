"""Delivery against real HTTP servers on 127.0.0.1 standing in for the gateways."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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


# --- email (apprise mailto://) and SMS (apprise smseagle://) ---------------------------------

MAIL_ENV = {"ISK_NOTIFY_SMTP_USER": "tagihan", "ISK_NOTIFY_SMTP_PASSWORD": "smtp-pw-42"}


def email_channel(port: int, timeout: float = 3) -> NotifyChannel:
    return NotifyChannel(
        kind="email",
        host="127.0.0.1",
        port=port,
        security="insecure",  # loopback; starttls/ssl are the default
        sender="tagihan@isp.example",
        user_env="ISK_NOTIFY_SMTP_USER",
        token_env="ISK_NOTIFY_SMTP_PASSWORD",
        timeout=timeout,
    )


def test_email_through_apprise_mailto_carries_subject_and_utf8_body(smtp) -> None:
    server = smtp(password="smtp-pw-42")
    text = "Halo Budi, tagihan Rp100.000 jatuh tempo 2026-11-10 — terima kasih ✓"
    message = Message("budi@example.net", text, META, subject="Pengingat: tagihan ✓")
    reply = deliver(email_channel(server.port), message, MAIL_ENV)
    assert reply.ok, reply.error
    (mail,) = server.received
    assert mail.sender == "tagihan@isp.example"
    assert mail.recipients == ["budi@example.net"]
    assert mail.login == ("tagihan", "smtp-pw-42")  # the login from the environment
    parsed = mail.parsed()
    assert parsed["Subject"] == "Pengingat: tagihan ✓"
    assert parsed["To"] == "budi@example.net"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().strip() == text
    assert b"smtp-pw-42" not in mail.data  # the password is never in the message
    assert all(ord(ch) < 128 for ch in mail.data.decode("latin-1"))  # properly encoded


def test_email_refused_login_fails_without_the_password_in_the_error(smtp) -> None:
    server = smtp(password="another-password")
    reply = deliver(email_channel(server.port), Message("a@example.net", "x", META), MAIL_ENV)
    assert not reply.ok and reply.error
    assert "smtp-pw-42" not in reply.error
    assert server.logins and set(server.logins) == {("tagihan", "smtp-pw-42")}
    assert not server.received


def test_email_refused_recipient_is_a_failure(smtp) -> None:
    server = smtp(refuse={"gone@example.net"})
    reply = deliver(email_channel(server.port), Message("gone@example.net", "x", META), MAIL_ENV)
    assert not reply.ok and "gone@example.net" in reply.error
    assert not server.received


def test_email_server_down_is_a_failure(smtp) -> None:
    server = smtp()
    port = server.port
    server.stop()
    reply = deliver(email_channel(port, timeout=1), Message("a@example.net", "x", META), MAIL_ENV)
    assert not reply.ok


def sms_channel(url: str) -> NotifyChannel:
    return NotifyChannel(kind="smseagle", url=url, token_env="ISK_NOTIFY_TOKEN", timeout=2)


def test_sms_through_apprise_smseagle(gateways, fake) -> None:
    gateway = gateways(fake.smseagle_ok)
    reply = deliver(sms_channel(gateway.url), Message("6281210000001", "Halo Budi", META), ENV)
    assert reply.ok, reply.error
    (request,) = gateway.received
    assert request.path == "/jsonrpc/sms"
    assert request.fields["method"] == "sms.send_sms"
    params = request.fields["params"]
    assert params["to"] == "6281210000001" and params["message"] == "Halo Budi"
    assert params["access_token"] == "s3cret-token"  # in the body, never in a URL of ours


def test_sms_http_200_with_an_error_status_is_a_failure(gateways, fake) -> None:
    gateway = gateways(fake.smseagle_refused)
    reply = deliver(sms_channel(gateway.url), Message("6281210000001", "Halo", META), ENV)
    assert not reply.ok
    assert "Invalid phone number" in reply.error
    assert "s3cret-token" not in reply.error


def test_sms_gateway_that_hangs_fails_within_the_deadline(gateways, fake) -> None:
    gateway = gateways(fake.hang)
    channel = NotifyChannel(
        kind="smseagle", url=gateway.url, token_env="ISK_NOTIFY_TOKEN", timeout=0.5
    )
    reply = deliver(channel, Message("6281210000001", "Halo", META), ENV)
    assert not reply.ok


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "email", "sender": "a@example.net"}, "needs host"),
        ({"kind": "email", "host": "mail.example.net"}, "needs sender"),
        ({"kind": "email", "host": "u:p@mail", "sender": "a@example.net"}, "needs host"),
        (
            {"kind": "email", "host": "h", "sender": "a@b.c", "user_env": "ISK_NOTIFY_U"},
            "both user_env and token_env",
        ),
        ({"kind": "email", "host": "h", "sender": "a@b.c", "token_env": "SMTP_PASS"}, "match"),
        ({"kind": "smseagle", "url": "http://u:pw@127.0.0.1", "token_env": "ISK_NOTIFY_T"}, "url"),
        ({"kind": "smseagle", "url": "http://127.0.0.1:80"}, "token_env"),
        ({"kind": "fonnte", "host": "mail.example.net"}, "only for email"),
    ],
)
def test_email_and_sms_settings_are_checked(fields: dict, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NotifyChannel(**fields)
    assert problem in str(caught.value)
    assert "u:p" not in str(caught.value).split("input_value")[0]


def test_an_smtp_server_that_never_greets_fails_within_the_deadline() -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # connections are queued, never answered
    try:
        channel = email_channel(silent.getsockname()[1], timeout=0.5)
        reply = deliver(channel, Message("a@example.net", "x", META), MAIL_ENV)
    finally:
        silent.close()
    assert not reply.ok and "smtp-pw-42" not in reply.error
