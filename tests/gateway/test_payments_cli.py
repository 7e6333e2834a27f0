"""`isk invoice link`, `isk payments reconcile` and `isk serve` as an operator runs them:
the real `isk` executable against fake gateways on loopback, a bare remote, and (end to
end) the RouterOS simulator."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from isk_reconcile.gateway.base import parse_order_id
from isk_reconcile.sim import SimulatedRouter
from tests.gateway.conftest import (
    MIDTRANS_KEY,
    XENDIT_KEY,
    XENDIT_TOKEN,
    FakeGateways,
    StateRemote,
    git,
    midtrans_notification,
)

ISK = Path(sys.executable).parent / "isk"
AS_OF = "2026-11-29"
KEYS = {
    "ISK_MIDTRANS_SERVER_KEY": MIDTRANS_KEY,
    "ISK_XENDIT_SECRET_KEY": XENDIT_KEY,
    "ISK_XENDIT_CALLBACK_TOKEN": XENDIT_TOKEN,
}


def environment(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("ISK_")}
    keep["ISK_AGE_IDENTITY_FILE"] = os.environ["ISK_AGE_IDENTITY_FILE"]
    return {**keep, **KEYS, "NO_COLOR": "1", **extra}


def isk(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args],
        capture_output=True,
        text=True,
        env=env or environment(),
        stdin=subprocess.DEVNULL,
        timeout=180,
    )
    for key in KEYS.values():  # no key in any output
        assert key not in done.stdout + done.stderr
    return done


def test_invoice_link_asks_midtrans_for_the_amount_due(
    state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    done = isk(state_remote.admin, "invoice", "link", "heru-setiawan")
    assert done.returncode == 0, done.stderr
    assert "heru-setiawan: Rp150.000 for heru-setiawan/2026-11-05 via midtrans" in done.stdout
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith(fake_gateways.url + "/snap/v2/vtweb/")
    ((method, path, body),) = [r for r in fake_gateways.requests if r[0] == "POST"]
    assert path == "/snap/v1/transactions"
    order_id = body["transaction_details"]["order_id"]
    assert body["transaction_details"]["gross_amount"] == 150000
    assert f"order: {order_id}" in done.stdout and len(order_id) <= 50
    order = parse_order_id(order_id)
    assert order is not None and (order.customer, order.period_start.isoformat()) == (
        "heru-setiawan",
        "2026-11-05",
    )
    journal = state_remote.admin / ".git" / "isk-payment-links.jsonl"
    assert json.loads(journal.read_text())["order_id"] == order_id
    # A second link for the same invoice gets a new order id (gateways refuse reuse).
    again = isk(state_remote.admin, "invoice", "link", "heru-setiawan")
    assert again.returncode == 0 and order_id not in again.stdout


def test_invoice_link_through_xendit_and_the_refusals(
    state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    done = isk(state_remote.admin, "invoice", "link", "joko-susilo", "--gateway", "xendit")
    assert done.returncode == 0, done.stderr
    assert "Rp400.000 for joko-susilo/2026-10-12 via xendit" in done.stdout
    assert done.stdout.strip().endswith(f"{fake_gateways.url}/web/inv00001")
    (invoice,) = fake_gateways.xendit.values()
    assert invoice["amount"] == 400000
    # One invoice of the two owed.
    one = isk(
        state_remote.admin,
        "invoice",
        "link",
        "joko-susilo",
        "--invoice",
        "joko-susilo/2026-11-12",
        "--gateway",
        "xendit",
    )
    assert one.returncode == 0 and "Rp200.000 for joko-susilo/2026-11-12" in one.stdout
    paid_up = isk(state_remote.admin, "invoice", "link", "budi-santoso")
    assert paid_up.returncode == 1 and "nothing is due for budi-santoso" in paid_up.stderr
    no_key = isk(
        state_remote.admin,
        "invoice",
        "link",
        "heru-setiawan",
        env={**environment(), "ISK_MIDTRANS_SERVER_KEY": ""},
    )
    assert no_key.returncode == 1 and "ISK_MIDTRANS_SERVER_KEY is not set" in no_key.stderr
    wrong_key = isk(
        state_remote.admin,
        "invoice",
        "link",
        "heru-setiawan",
        env={**environment(), "ISK_MIDTRANS_SERVER_KEY": "SB-Mid-server-wrong"},
    )
    assert wrong_key.returncode == 1 and "HTTP 401" in wrong_key.stderr
    assert "SB-Mid-server-wrong" not in wrong_key.stderr


def test_reconcile_lists_and_records_settlements_whose_callback_was_lost(
    state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    link = isk(state_remote.service, "invoice", "link", "heru-setiawan")
    order_id = re.search(r"order: (\S+)", link.stdout)[1]
    status = fake_gateways.settle_midtrans(order_id, 150000, payment_type="gopay")
    fake_gateways.xendit["inv00009"] = {
        "id": "inv00009",
        "external_id": "joko-susilo~20261012~00ff00ff",
        "status": "SETTLED",
        "amount": 400000,
        "paid_amount": 400000,
        "payment_method": "QR_CODE",
        "paid_at": "2026-11-28T18:30:00.000Z",
    }
    listed = isk(state_remote.service, "payments", "reconcile", "--since", "2026-11-01")
    assert listed.returncode == 0, listed.stderr
    assert f"missing: midtrans {order_id} payment heru-setiawan Rp150.000 ewallet" in listed.stdout
    assert (
        "missing: xendit joko-susilo~20261012~00ff00ff payment joko-susilo Rp400.000 qris"
        " on 2026-11-29" in listed.stdout
    )
    assert "2 ledger entries missing" in listed.stdout
    assert "isk-serve" not in "".join(state_remote.remote_log())  # listing writes nothing
    recorded = isk(
        state_remote.service, "payments", "reconcile", "--since", "2026-11-01", "--record"
    )
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout.count(": recorded P-2026-11-") == 2
    bot = [line for line in state_remote.remote_log() if line.startswith("isk-serve|")]
    assert len(bot) == 2
    entries = yaml.safe_load(state_remote.remote_file("payments/2026-11.yaml"))
    references = [e.get("reference") for e in entries]
    assert references.count(status["transaction_id"]) == 1 and references.count("inv00009") == 1
    again = isk(state_remote.service, "payments", "reconcile", "--since", "2026-11-01")
    assert "0 ledger entries missing" in again.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen[str]) -> dict[str, Any]:
    for _ in range(300):
        assert server.poll() is None, "isk serve exited"
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                return json.loads(answer.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError("isk serve did not come up")


def start_serve(repo: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen[str]]:
    port = free_port()
    logs = (repo.parent / "serve.log").open("w")  # JSON lines, readable while it runs
    server = subprocess.Popen(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=logs,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    logs.close()
    url = f"http://127.0.0.1:{port}"
    assert wait_healthy(url, server)["gateways"] == ["midtrans", "xendit"]
    return url, server


def serve_events(repo: Path) -> list[dict[str, Any]]:
    lines = (repo.parent / "serve.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def stop_serve(server: subprocess.Popen[str], repo: Path) -> list[dict[str, Any]]:
    server.terminate()
    server.wait(timeout=30)
    return serve_events(repo)


def pay_through_gateway(url: str, fake: FakeGateways, order_id: str) -> dict[str, Any]:
    status = fake.settle_midtrans(order_id, 150000)
    request = urllib.request.Request(
        url + "/webhooks/midtrans", method="POST", data=midtrans_notification(status)
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def simulated_rw09(state_remote: StateRemote, settings_extra: str = "") -> int:
    """Point rw09-bae at a free loopback port (and add settings), push, update the service."""
    port = free_port()
    routers = state_remote.admin / "state" / "routers.yaml"
    routers.write_text(routers.read_text().replace("port: 18730", f"port: {port}"))
    settings = state_remote.admin / "state" / "settings.yaml"
    settings.write_text(settings.read_text() + settings_extra)
    git(state_remote.admin, "commit", "-qam", "rw09-bae: simulated on a free port")
    git(state_remote.admin, "push", "-q", "origin", "main")
    git(state_remote.service, "pull", "-q")
    return port


def disabled(sim: SimulatedRouter, name: str) -> bool:
    secret = next(s for s in sim.items("/ppp/secret") if s["name"] == name)
    return secret["disabled"] in ("true", True)


PASSWORD = "pw-rw09"


def test_end_to_end_a_suspended_customer_pays_and_is_enabled_again(
    state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    """heru-setiawan (rw09-bae, disabled for an unpaid invoice) pays through the gateway;
    `isk serve` records and pushes it; `isk apply` then enables his secret."""
    env = environment(ISK_ROUTER_RW09_BAE_PASSWORD=PASSWORD)
    port = simulated_rw09(state_remote)
    with SimulatedRouter(identity="rw09-bae", users={"isk-api": PASSWORD}, port=port) as sim:
        first = isk(
            state_remote.admin,
            "apply",
            "--router",
            "rw09-bae",
            "--auto-approve",
            "--force",
            env=env,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        assert disabled(sim, "heru-setiawan")
        link = isk(state_remote.admin, "invoice", "link", "heru-setiawan", env=env)
        order_id = re.search(r"order: (\S+)", link.stdout)[1]
        # The service gets gateway keys only: no router password, no age identity.
        serve_env = {k: v for k, v in env.items() if not k.startswith(("ISK_ROUTER", "ISK_AGE"))}
        url, server = start_serve(state_remote.service, serve_env)
        try:
            assert pay_through_gateway(url, fake_gateways, order_id)["status"] == "recorded"
        finally:
            events = stop_serve(server, state_remote.service)
        assert [e["event"] for e in events] == ["start", "callback"]
        assert events[1]["status"] == "recorded" and events[1]["order_id"] == order_id
        assert disabled(sim, "heru-setiawan") is not False  # nothing applied by the service
        git(state_remote.admin, "pull", "-q")
        applied = isk(
            state_remote.admin,
            "apply",
            "--router",
            "rw09-bae",
            "--auto-approve",
            "--force",
            env=env,
        )
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "enable secret heru-setiawan" in applied.stdout
        assert not disabled(sim, "heru-setiawan")


def test_direct_apply_enables_the_customer_without_waiting_for_ci(
    state_remote: StateRemote, fake_gateways: FakeGateways
) -> None:
    env = environment(ISK_ROUTER_RW09_BAE_PASSWORD=PASSWORD)
    port = simulated_rw09(state_remote, "  apply_after_payment: true\n")
    with SimulatedRouter(identity="rw09-bae", users={"isk-api": PASSWORD}, port=port) as sim:
        first = isk(
            state_remote.admin,
            "apply",
            "--router",
            "rw09-bae",
            "--auto-approve",
            "--force",
            env=env,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        assert disabled(sim, "heru-setiawan")
        url, server = start_serve(state_remote.service, env)
        try:
            order_id = "heru-setiawan~20261105~77aa77aa"
            assert pay_through_gateway(url, fake_gateways, order_id)["status"] == "recorded"
            for _ in range(600):  # applied in the background: wait for its log line
                if any(e["event"] == "apply" for e in serve_events(state_remote.service)):
                    break
                time.sleep(0.1)
        finally:
            events = stop_serve(server, state_remote.service)
        assert not disabled(sim, "heru-setiawan")
        (applied,) = [e for e in events if e["event"] == "apply"]
        assert applied["ok"] and applied["router"] == "rw09-bae", applied


def test_serve_without_any_gateway_key_refuses_to_start(state_remote: StateRemote) -> None:
    bare = {k: v for k, v in environment().items() if k not in KEYS}
    done = isk(state_remote.service, "serve", "--port", str(free_port()), env=bare)
    assert done.returncode == 1
    assert "no gateway key in the environment" in done.stderr
