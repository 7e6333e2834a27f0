"""Delivery to gateways: the only module of notify/ that talks to the network.

Success is judged the way each gateway means it: Fonnte answers HTTP 200 with
{"status": false, "reason": ...} when it did not send, so its JSON `status` decides;
Telegram's Bot API answers {"ok": true, "result": {"message_id": ...}}. Generic JSON/form
webhooks go through apprise (json:// and form:// URLs), where the HTTP status decides.
Email goes through apprise's mailto:// / mailtos:// plugin (smtplib: every recipient
accepted), SMS through apprise's SMSEagle plugin (smseagle://, a self-hosted gateway
whose JSON-RPC reply must say `"status": "ok"`; HTTP 200 alone is not success). Their
credentials are handed to the plugin as arguments, never written into a URL string.

apprise's Telegram plugin has its API host fixed (`https://api.telegram.org/bot`, a class
attribute, no URL option), so it cannot be pointed at a test server or a self-hosted Bot
API server; Telegram therefore has its own small adapter here, with a configurable base
URL, like Fonnte.

Every call has a total deadline (the channel's timeout). Error text that reaches the
outbox or a terminal is cleaned of control characters, and never holds a token."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from isk_reconcile.state.settings import NotifyChannel

FONNTE_URL = "https://api.fonnte.com"
TELEGRAM_URL = "https://api.telegram.org"
MAX_REPLY_BYTES = 256_000


@dataclass(frozen=True)
class Reply:
    ok: bool
    id: str = ""  # the gateway's message id, when it gives one
    error: str = ""


@dataclass(frozen=True)
class Message:
    to: str
    text: str
    meta: Mapping[str, str]  # event, key, customer: carried by webhooks
    subject: str = ""  # email only


def clean(text: object, secrets: tuple[str, ...] = (), limit: int = 300) -> str:
    """Printable, one line, at most `limit` characters; with any secret blanked out."""
    shown = str(text)
    for secret in secrets:
        if secret:
            shown = shown.replace(secret, "***")
    shown = "".join(ch if ch.isprintable() else " " for ch in shown)
    return " ".join(shown.split())[:limit]


class Deadline(Exception):
    pass


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    """POST within `timeout` seconds in total (connect, send and the whole reply)."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    connection_type = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    connection = connection_type(parts.hostname or "", parts.port, timeout=timeout)
    path = parts.path or "/"
    try:
        connection.connect()
        _remaining(connection, deadline)
        connection.request("POST", path, body=body, headers=dict(headers))
        _remaining(connection, deadline)
        response = connection.getresponse()
        chunks, size = [], 0
        while size <= MAX_REPLY_BYTES:
            _remaining(connection, deadline)
            chunk = response.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return response.status, b"".join(chunks)
    finally:
        connection.close()


def _remaining(connection: HTTPConnection, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Deadline
    if connection.sock is not None:
        connection.sock.settimeout(left)


def _call(url: str, body: bytes, headers: Mapping[str, str], timeout: float, token: str):
    """(status, parsed JSON) or a failed Reply."""
    try:
        status, data = post(url, body, headers, timeout)
    except (Deadline, TimeoutError):
        return Reply(False, error=f"no complete reply within {timeout:g}s")
    except (OSError, HTTPException) as problem:
        return Reply(False, error=clean(f"{type(problem).__name__}: {problem}", (token,)))
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Reply(False, error=f"HTTP {status}, reply is not JSON")
    if not isinstance(parsed, dict):
        return Reply(False, error=f"HTTP {status}, reply is not a JSON object")
    return status, parsed


def send_fonnte(channel: NotifyChannel, message: Message, token: str) -> Reply:
    url = (channel.url or FONNTE_URL).rstrip("/") + "/send"
    body = urlencode({"target": message.to, "message": message.text}).encode()
    headers = {"Authorization": token, "Content-Type": "application/x-www-form-urlencoded"}
    answer = _call(url, body, headers, channel.timeout, token)
    if isinstance(answer, Reply):
        return answer
    status, parsed = answer
    if parsed.get("status") is not True:  # HTTP 200 with "status": false is a failure
        reason = parsed.get("reason") or parsed.get("detail") or "status is not true"
        return Reply(False, error=clean(f"HTTP {status}: {reason}", (token,)))
    ids = parsed.get("id")
    first = ids[0] if isinstance(ids, list) and ids else ids
    return Reply(True, id=clean(first if first is not None else ""))


def send_telegram(channel: NotifyChannel, message: Message, token: str) -> Reply:
    url = f"{(channel.url or TELEGRAM_URL).rstrip('/')}/bot{token}/sendMessage"
    body = json.dumps({"chat_id": message.to, "text": message.text}).encode()
    headers = {"Content-Type": "application/json"}
    answer = _call(url, body, headers, channel.timeout, token)
    if isinstance(answer, Reply):
        return answer
    status, parsed = answer
    if parsed.get("ok") is not True:
        reason = parsed.get("description") or "ok is not true"
        return Reply(False, error=clean(f"HTTP {status}: {reason}", (token,)))
    result = parsed.get("result")
    message_id = result.get("message_id", "") if isinstance(result, dict) else ""
    return Reply(True, id=clean(message_id))


def send_webhook(channel: NotifyChannel, message: Message, token: str) -> Reply:
    """apprise json:// or form://; our fields ride along as payload extras (`:name=`)."""
    import apprise  # imported here: only an apprise send needs it (it is slow to import)

    assert channel.url is not None
    query: dict[str, str] = {f":{name}": value for name, value in message.meta.items()}
    query[":to"] = message.to
    query.update(_timeouts(channel))
    if token:
        query["+Authorization"] = f"Bearer {token}"
    url = f"{channel.url}?{urlencode(query, quote_via=quote)}"
    return _through_apprise(
        lambda: apprise.Apprise.instantiate(url), message, channel.timeout, (token,), "webhook"
    )


SMTP_PORTS = {"starttls": 587, "ssl": 465, "insecure": 25}


def send_email(channel: NotifyChannel, message: Message, token: str, user: str = "") -> Reply:
    """apprise mailto:// (insecure) or mailtos:// (ssl, starttls) to the configured SMTP
    server; plain text, UTF-8, the rendered subject. The login (user_env/token_env) is
    added to the parsed arguments, so no URL ever holds the password."""
    import apprise
    from apprise.plugins.email import NotifyEmail

    assert channel.host is not None and channel.sender is not None
    port = channel.port or SMTP_PORTS[channel.security]
    scheme = "mailto" if channel.security == "insecure" else "mailtos"
    server = channel.host.strip("[]")  # smtplib takes an IPv6 address bare
    query = {"smtp": server, "from": channel.sender, "to": message.to, "format": "text"}
    if channel.security != "insecure":
        query["mode"] = channel.security
    query.update(_timeouts(channel))
    host = f"[{server}]" if ":" in server else server
    url = f"{scheme}://{host}:{port}?{urlencode(query, quote_via=quote)}"

    def build() -> object:
        arguments = NotifyEmail.parse_url(url)
        if not arguments:
            return None
        if user:
            arguments.update(user=user, password=token)
        return apprise.Apprise.instantiate(arguments, suppress_exceptions=False)

    return _through_apprise(build, message, channel.timeout, (token, user), "email")


def send_smseagle(channel: NotifyChannel, message: Message, token: str) -> Reply:
    """apprise smseagle:// (smseagles:// for HTTPS) to the gateway at `url`."""
    import apprise
    from apprise.plugins.smseagle import NotifySMSEagle

    assert channel.url is not None
    parts = urlsplit(channel.url)
    scheme = "smseagles" if parts.scheme == "https" else "smseagle"
    query = urlencode(_timeouts(channel))
    url = f"{scheme}://{parts.netloc}/{quote(message.to, safe='')}?{query}"

    def build() -> object:
        arguments = NotifySMSEagle.parse_url(url)
        if not arguments:
            return None
        arguments["token"] = token
        return apprise.Apprise.instantiate(arguments, suppress_exceptions=False)

    return _through_apprise(build, message, channel.timeout, (token,), "SMS gateway")


def _timeouts(channel: NotifyChannel) -> dict[str, str]:
    seconds = f"{channel.timeout:g}"
    return {"cto": seconds, "rto": seconds}


def _through_apprise(
    build: Callable[[], Any], message: Message, timeout: float, secrets: tuple[str, ...], what: str
) -> Reply:
    """Build an apprise plugin and notify, in a thread joined with a deadline (apprise
    bounds connect and read separately, not the whole exchange). apprise says only
    True/False; its warnings, captured, tell why (cleaned of every secret)."""
    import apprise

    outcome: list[tuple[bool, str]] = []

    def work() -> None:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
            try:
                plugin = build()
                ok = plugin is not None and bool(
                    plugin.notify(
                        body=message.text,
                        title=message.subject,
                        body_format=apprise.NotifyFormat.TEXT,
                    )
                )
                note = "" if plugin is not None else f"apprise does not accept the {what} URL"
            except Exception as problem:  # a plugin's own refusal of its arguments
                ok, note = False, f"{type(problem).__name__}: {problem}"
            outcome.append((ok, note or log.getvalue()))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout * 2 + 1)
    if not outcome:
        return Reply(False, error=f"no reply within {timeout:g}s")
    ok, note = outcome[0]
    if ok:
        return Reply(True)
    return Reply(False, error=clean(note, secrets) or f"the {what} refused the message")


SENDERS = {
    "fonnte": send_fonnte,
    "telegram": send_telegram,
    "json": send_webhook,
    "form": send_webhook,
    "smseagle": send_smseagle,
}


def deliver(channel: NotifyChannel, message: Message, environ: Mapping[str, str]) -> Reply:
    token = environ.get(channel.token_env, "") if channel.token_env else ""
    try:
        if channel.kind == "email":
            user = environ.get(channel.user_env, "") if channel.user_env else ""
            return send_email(channel, message, token, user)
        return SENDERS[channel.kind](channel, message, token)
    except Exception as problem:  # one bad send must not stop the run or lose its record
        return Reply(False, error=clean(f"{type(problem).__name__}: {problem}", (token,)))
