"""Fixtures for online payments: fake gateway APIs and a receiver on loopback, and a state
repository with a bare remote.

The fake gateways are real HTTP servers (http.server threads on 127.0.0.1) that answer
like Midtrans and Xendit document; callbacks are signed in the tests themselves with the
documented formulas, not with the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn

from isk_reconcile.gateway.app import make_app
from isk_reconcile.gateway.receiver import Receiver

MIDTRANS_KEY = "SB-Mid-server-test-key-1234"
XENDIT_KEY = "xnd_development_test_key_5678"
XENDIT_TOKEN = "callback-token-abcdef"
PROJECT = Path(__file__).resolve().parents[2]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@dataclass
class FakeGateways:
    """State of the fake Midtrans and Xendit APIs, and every request they received."""

    midtrans: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> status
    xendit: dict[str, dict[str, Any]] = field(default_factory=dict)  # invoice id -> invoice
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    url: str = ""

    def settle_midtrans(self, order_id: str, amount: int, **fields: Any) -> dict[str, Any]:
        status = {
            "status_code": "200",
            "status_message": "Success, transaction is found",
            "transaction_id": f"mt-{hashlib.md5(order_id.encode()).hexdigest()[:12]}",
            "order_id": order_id,
            "gross_amount": f"{amount}.00",
            "currency": "IDR",
            "payment_type": "qris",
            "transaction_time": "2026-11-29 21:01:00",
            "transaction_status": "settlement",
            "settlement_time": "2026-11-29 21:05:00",
            "fraud_status": "accept",
        }
        status.update(fields)
        self.midtrans[order_id] = status
        return status

    def status_requests(self, order_id: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == "GET" and p == f"/v2/{order_id}/status")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGateways

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self, path: str) -> bool:
        key = (
            MIDTRANS_KEY
            if path.startswith(("/snap/", "/v2/")) and "invoices" not in path
            else XENDIT_KEY
        )
        if self.headers.get("Authorization") != basic(key):
            self._answer(401, {"status_message": "unauthorized"})
            return False
        return True

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.fake.requests.append(("GET", parts.path, None))
        if not self._authorised(parts.path):
            return
        found = re.fullmatch(r"/v2/([^/]+)/status", parts.path)
        if found:
            order = urllib.request.unquote(found[1])
            status = self.fake.midtrans.get(order)
            if status is None:
                self._answer(
                    404, {"status_code": "404", "status_message": "Transaction doesn't exist."}
                )
            else:
                self._answer(200, status)
            return
        found = re.fullmatch(r"/v2/invoices/([^/]+)", parts.path)
        if found:
            invoice = self.fake.xendit.get(found[1])
            self._answer(
                200 if invoice else 404, invoice or {"error_code": "INVOICE_NOT_FOUND_ERROR"}
            )
            return
        if parts.path == "/v2/invoices":
            self._answer(200, self._list(parse_qs(parts.query)))
            return
        self._answer(404, {"message": "no such endpoint"})

    def _list(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        statuses = json.loads(query.get("statuses", ["[]"])[0])
        after = query.get("paid_after", [""])[0]
        limit = int(query.get("limit", ["10"])[0])
        items = sorted(self.fake.xendit.values(), key=lambda i: i["id"])
        items = [i for i in items if i["status"] in statuses and i.get("paid_at", "") >= after]
        last = query.get("last_invoice_id", [None])[0]
        if last:
            items = [i for i in items if i["id"] > last]
        return items[:limit]

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        self.fake.requests.append(("POST", parts.path, body))
        if not self._authorised(parts.path):
            return
        if parts.path == "/snap/v1/transactions":
            order = body["transaction_details"]["order_id"]
            if any(
                p == "/snap/v1/transactions" and b["transaction_details"]["order_id"] == order
                for m, p, b in self.fake.requests[:-1]
                if b
            ):
                self._answer(400, {"error_messages": ["order_id has already been taken"]})
                return
            token = hashlib.sha1(order.encode()).hexdigest()
            self._answer(
                201, {"token": token, "redirect_url": f"{self.fake.url}/snap/v2/vtweb/{token}"}
            )
            return
        if parts.path == "/v2/invoices":
            invoice_id = f"inv{len(self.fake.xendit) + 1:05d}"
            invoice = {
                "id": invoice_id,
                "external_id": body["external_id"],
                "status": "PENDING",
                "amount": body["amount"],
                "currency": "IDR",
                "invoice_url": f"{self.fake.url}/web/{invoice_id}",
                "expiry_date": "2026-12-02T14:00:00.000Z",
            }
            self.fake.xendit[invoice_id] = invoice
            self._answer(200, invoice)
            return
        self._answer(404, {"message": "no such endpoint"})


@pytest.fixture
def fake_gateways() -> Iterator[FakeGateways]:
    fake = FakeGateways()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(5)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class StateRemote:
    """A bare remote holding the example ISP, a clone for the service, one for people."""

    remote: Path
    service: Path
    admin: Path

    def remote_log(self) -> list[str]:
        return git(self.remote, "log", "--format=%an|%s", "main").splitlines()

    def remote_file(self, relpath: str) -> str:
        return git(self.remote, "show", f"main:{relpath}")


def payment_settings(url: str) -> str:
    return (
        "payments:\n"
        "  gateway: midtrans\n"
        f"  midtrans: {{environment: sandbox, api_url: '{url}', snap_url: '{url}'}}\n"
        f"  xendit: {{api_url: '{url}'}}\n"
    )


@pytest.fixture
def state_remote(tmp_path: Path, demo_identity: Path, fake_gateways: FakeGateways) -> StateRemote:
    seed = tmp_path / "seed"
    shutil.copytree(PROJECT / "state", seed / "state")
    shutil.copytree(PROJECT / "payments", seed / "payments")
    settings = seed / "state" / "settings.yaml"
    settings.write_text(settings.read_text() + payment_settings(fake_gateways.url))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(seed, "init", "-q", "-b", "main")
    git(seed, "-c", "user.name=Admin", "-c", "user.email=admin@isk.test", "add", ".")
    git(
        seed,
        "-c",
        "user.name=Admin",
        "-c",
        "user.email=admin@isk.test",
        "commit",
        "-q",
        "-m",
        "example ISP",
    )
    git(seed, "push", "-q", str(remote), "main")
    service, admin = tmp_path / "service", tmp_path / "admin"
    git(tmp_path, "clone", "-q", str(remote), str(service))
    git(tmp_path, "clone", "-q", str(remote), str(admin))
    for clone in (service, admin):
        git(clone, "config", "user.name", "Admin")
        git(clone, "config", "user.email", "admin@isk.test")
    return StateRemote(remote, service, admin)


@dataclass
class RunningReceiver:
    url: str
    events: list[dict[str, Any]]

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as answer:
            return answer.code, json.loads(answer.read())


@pytest.fixture
def serve_receiver() -> Iterator[Any]:
    """Start a Receiver's app under uvicorn on a random loopback port."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(receiver: Receiver) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(make_app(receiver), log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        servers.append((server, thread))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def midtrans_signature(order_id: str, status_code: str, gross_amount: str) -> str:
    """As docs.midtrans.com shows it: SHA512(order_id+status_code+gross_amount+ServerKey)."""
    return hashlib.sha512(
        (order_id + status_code + gross_amount + MIDTRANS_KEY).encode()
    ).hexdigest()


def midtrans_notification(status: dict[str, Any], key_ok: bool = True) -> bytes:
    body = dict(status)
    body["signature_key"] = midtrans_signature(
        body["order_id"], body["status_code"], body["gross_amount"]
    )
    if not key_ok:
        body["signature_key"] = hashlib.sha512(b"forged").hexdigest()
    return json.dumps(body).encode()
