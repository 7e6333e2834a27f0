"""Deadlines, not timeouts: a router that trickles one byte every half second fails
`isk plan`, `isk apply` and `isk router check` within its routers.yaml budget, and the
other router goes on. The trickling router is a real TCP proxy in front of the
simulator on 127.0.0.1 that forwards every byte, only slowly."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from isk_reconcile.sim.server import SimulatedRouter

TRICKLE_SECONDS = 0.5
READ_BUDGET = 2
APPLY_BUDGET = 3
# Without deadlines each command would take minutes at two bytes a second (a read of
# two customers is hundreds of bytes); with them, the budget plus start-up.
SLACK = 15


class TrickleProxy:
    """Forwards a client to `upstream`; once the client has sent `trigger`, every byte
    from the router is passed on one at a time, TRICKLE_SECONDS apart."""

    def __init__(self, upstream: int, trigger: bytes):
        self.upstream = upstream
        self.trigger = trigger
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            router = socket.create_connection(("127.0.0.1", self.upstream))
            self.sockets += [client, router]
            triggered = threading.Event()
            threading.Thread(target=self._up, args=(client, router, triggered), daemon=True).start()
            threading.Thread(
                target=self._down, args=(router, client, triggered), daemon=True
            ).start()

    def _up(self, client: socket.socket, router: socket.socket, triggered: threading.Event) -> None:
        seen = b""
        while data := _recv(client):
            seen = (seen + data)[-4096:]
            if self.trigger in seen:
                triggered.set()
            router.sendall(data)

    def _down(
        self, router: socket.socket, client: socket.socket, triggered: threading.Event
    ) -> None:
        while data := _recv(router):
            try:
                if not triggered.is_set():
                    client.sendall(data)
                    continue
                for byte in data:
                    if self.stopping.wait(TRICKLE_SECONDS):
                        return
                    client.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        """Stop accepting (a close alone does not wake a blocked accept on Linux: no thread
        is left behind, which would keep later tests from forking) and drop the relays."""
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.accepting.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(4096)
    except OSError:
        return b""


def _repo(root: Path, ports: dict[str, int]) -> Path:
    (root / "state" / "profiles").mkdir(parents=True)
    (root / "state" / "customers").mkdir(parents=True)
    (root / "payments").mkdir()
    (root / "state" / "settings.yaml").write_text("secrets: {allow_plaintext: true}\n")
    routers = {
        name: {
            "host": "127.0.0.1",
            "port": port,
            "username": "isk-api",
            "password_env": f"ISK_ROUTER_{name.upper()}",
            "timeout": READ_BUDGET,
            "apply_timeout": APPLY_BUDGET,
        }
        for name, port in ports.items()
    }
    (root / "state" / "routers.yaml").write_text(yaml.safe_dump(routers))
    (root / "state" / "profiles" / "home.yaml").write_text("price: 100000\nrate_limit: 10M/10M\n")
    for name in ports:
        for number in range(2):
            (root / "state" / "customers" / f"{name}-c{number}.yaml").write_text(
                f"name: C{number}\nrouter: {name}\nstart: 2026-01-01\nprofile: home\n"
                f"status: free\npppoe: {{password: pw-{number}-secret}}\n"
            )
    return root


@pytest.fixture
def two_routers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, dict]]:
    trigger: bytes = request.param
    with ExitStack() as stack:
        sims = {
            name: stack.enter_context(SimulatedRouter(identity=name, users={"isk-api": "pw"}))
            for name in ("fast", "slow")
        }
        proxy = TrickleProxy(sims["slow"].port, trigger)
        stack.callback(proxy.close)
        repo = _repo(tmp_path / "isp", {"fast": sims["fast"].port, "slow": proxy.port})
        yield repo, sims


def _isk(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    environ = {**os.environ, "ISK_ROUTER_FAST": "pw", "ISK_ROUTER_SLOW": "pw", "NO_COLOR": "1"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize("two_routers", [b"/print"], indirect=True)
def test_plan_and_router_check_finish_within_the_read_deadline(two_routers) -> None:
    repo, _ = two_routers
    done, seconds = _isk(repo, "plan", "--format", "json")
    assert done.returncode == 1, done.stderr
    routers = {r["router"]: r for r in json.loads(done.stdout)["routers"]}
    assert routers["fast"]["status"] == "ok" and routers["slow"]["status"] == "error"
    assert f"did not finish within its {READ_BUDGET}s deadline" in routers["slow"]["error"]
    assert seconds < READ_BUDGET * 2 + SLACK
    done, seconds = _isk(repo, "router", "check")
    assert done.returncode == 1
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert " ok " in lines["fast"] and "FAILED" in lines["slow"]
    assert "deadline" in lines["slow"]
    assert seconds < READ_BUDGET * 2 + SLACK


@pytest.mark.parametrize("two_routers", [b"/add"], indirect=True)
def test_apply_stops_at_the_apply_deadline_and_the_other_router_goes_on(two_routers) -> None:
    repo, sims = two_routers
    done, seconds = _isk(repo, "apply", "--auto-approve")
    assert done.returncode == 1
    assert "slow" in done.stderr and f"within its {APPLY_BUDGET}s deadline" in done.stderr
    assert seconds < READ_BUDGET * 4 + APPLY_BUDGET + SLACK
    secrets = sims["fast"].state.print("/ppp/secret", {}, ())
    assert {secret["name"] for secret in secrets} == {"fast-c0", "fast-c1"}
