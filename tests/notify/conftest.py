"""Fake notification gateways (real HTTP servers on 127.0.0.1) and a small ISP repository."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from tests.helpers.smtp import SmtpServer

# What a fake gateway does with one request: (HTTP status, JSON body) or "hang".
Behaviour = Callable[[int], tuple[int, object] | str]


def fonnte_ok(n: int) -> tuple[int, object]:
    return 200, {"status": True, "id": [f"fonnte-{n}"], "detail": "success! message in queue"}


def fonnte_refused(n: int) -> tuple[int, object]:
    return 200, {"status": False, "reason": "device disconnected"}


def telegram_ok(n: int) -> tuple[int, object]:
    return 200, {"ok": True, "result": {"message_id": 1000 + n}}


def smseagle_ok(n: int) -> tuple[int, object]:
    return 200, {"result": {"message_id": 500 + n, "status": "ok"}}


def smseagle_refused(n: int) -> tuple[int, object]:
    # SMSEagle's JSON-RPC answers HTTP 200 and says in its body that it did not send.
    return 200, {"result": {"error_text": "Invalid phone number", "status": "error"}}


def webhook_ok(n: int) -> tuple[int, object]:
    return 200, {}


def hang(n: int) -> str:
    return "hang"


def failing_first(times: int, then: Behaviour) -> Behaviour:
    def behaviour(n: int) -> tuple[int, object] | str:
        return (500, {"status": False, "reason": "busy"}) if n < times else then(n)

    return behaviour


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    fields: dict[str, str]  # form fields or JSON object


@dataclass
class Gateway:
    behaviour: Behaviour
    received: list[Received] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                fields = json.loads(body)
            else:
                fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            with gateway.lock:
                number = len(gateway.received)
                gateway.received.append(Received(self.path, dict(self.headers), fields))
            answer = gateway.behaviour(number)
            if answer == "hang":
                time.sleep(3)
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def gateways() -> Iterator[Callable[[Behaviour], Gateway]]:
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: Behaviour) -> Gateway:
        gateway = Gateway(behaviour)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
        server.daemon_threads = True
        gateway.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return gateway

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Start real SMTP servers on 127.0.0.1 (tests/helpers/smtp.py); stopped afterwards."""
    started: list[SmtpServer] = []

    def start(**options: object) -> SmtpServer:
        server = SmtpServer(**options).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


SETTINGS = """\
timezone: Asia/Jakarta
billing: {{cycle: monthly, mode: prepaid, grace_days: 3}}
secrets: {{allow_plaintext: true}}
language: {language}
isp: {{name: Net Desa, contact: "0812-1111-2222", payment: "BRI 0001"}}
notify:
{notify}
"""

CUSTOMER = """\
name: {name}
phone: "{phone}"
router: core
start: {start}
profile: home
pppoe: {{password: plain-pass-{id}}}
{extra}
"""


def write_repo(
    root: Path,
    notify: str,
    customers: dict[str, dict[str, str]],
    language: str = "en",
) -> Path:
    """A tiny ISP: one router, one Rp100.000 package, the given customers; a git repo."""
    (root / "state" / "customers").mkdir(parents=True)
    (root / "state" / "profiles").mkdir()
    (root / "payments").mkdir()
    indented = "\n".join("  " + line for line in notify.strip().splitlines())
    (root / "state" / "settings.yaml").write_text(
        SETTINGS.format(language=language, notify=indented)
    )
    (root / "state" / "routers.yaml").write_text("core:\n  host: 127.0.0.1\n  port: 1\n")
    (root / "state" / "profiles" / "home.yaml").write_text("price: 100000\nrate_limit: 10M/10M\n")
    for cid, values in customers.items():
        text = CUSTOMER.format(id=cid, **{"extra": "", **values})
        (root / "state" / "customers" / f"{cid}.yaml").write_text(text)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git[:3], "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git[:3], "config", "user.name", "isk test"], check=True)
    subprocess.run([*git[:3], "config", "user.email", "isk@example.invalid"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "initial"], check=True)
    return root


def add_payment(root: Path, entry_id: str, customer: str, amount: int, day: str) -> None:
    ledger = root / "payments" / f"{day[:7]}.yaml"
    with ledger.open("a") as handle:
        handle.write(
            f"- id: {entry_id}\n  customer: {customer}\n  amount: {amount}\n"
            f"  date: {day}\n  kind: payment\n  method: transfer\n"
        )


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    return lambda notify, customers, **kw: write_repo(tmp_path / "isp", notify, customers, **kw)


@pytest.fixture
def pay() -> Callable[[Path, str, str, int, str], None]:
    return add_payment


@pytest.fixture
def fake() -> SimpleNamespace:
    """Gateway behaviours, for `gateways(...)`."""
    return SimpleNamespace(
        fonnte_ok=fonnte_ok,
        fonnte_refused=fonnte_refused,
        telegram_ok=telegram_ok,
        webhook_ok=webhook_ok,
        smseagle_ok=smseagle_ok,
        smseagle_refused=smseagle_refused,
        hang=hang,
        failing_first=failing_first,
    )


@pytest.fixture
def make_repo_once(tmp_path_factory: pytest.TempPathFactory):
    """The loaded State of a one-customer repo (October paid), built once per test."""
    from isk_reconcile.state.loader import load_state

    notify = "channels:\n  wa: {kind: fonnte}\ncustomers: [wa]\n"
    customers = {"budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"}}
    repo = write_repo(tmp_path_factory.mktemp("once") / "isp", notify, customers)
    add_payment(repo, "P-1", "budi", 100000, "2026-10-10")
    return load_state(repo)
