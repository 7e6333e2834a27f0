"""Where and how a router password may travel (issue 9): an age identity is never sent,
TLS against a plain API port is named a TLS failure, and `isk router check` shows the
transport warnings without echoing a password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.connection import connect
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.routers import Router
from tests.helpers import DEMO_IDENTITY_FILE

ISK = Path(sys.executable).parent / "isk"
# an age identity: the labelled demo one (the only private key the project holds)
AGE_KEY = next(
    line for line in DEMO_IDENTITY_FILE.read_text().splitlines() if line.startswith("AGE-SECRET")
)


@pytest.fixture
def recorder() -> Iterator[tuple[int, bytearray]]:
    """A loopback TCP server that records every byte sent to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received = bytearray()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(3)  # longer than the client's timeout
                try:
                    while chunk := conn.recv(4096):
                        received.extend(chunk)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(timeout=5)
    server.close()


def router(port: int, **extra: object) -> Router:
    fields: dict[str, object] = {
        "name": "r1", "host": "127.0.0.1", "port": port, "username": "isk-api",
        "password_env": "ISK_ROUTER_R1_PASSWORD", "timeout": 1,
    }  # fmt: skip
    fields.update(extra)
    return Router(**fields)


def test_an_age_identity_is_never_sent(recorder: tuple[int, bytearray]) -> None:
    port, received = recorder
    for value in (AGE_KEY, "  " + AGE_KEY.lower()):
        with pytest.raises(RouterError) as failed:
            connect(router(port), {"ISK_ROUTER_R1_PASSWORD": value})
        message = str(failed.value)
        assert message == (
            "r1: ISK_ROUTER_R1_PASSWORD holds an age identity, not an API password: not sent"
        )
        assert "\n" not in message
    assert bytes(received) == b""


def test_tls_against_a_plain_api_port_says_tls_handshake_failed() -> None:
    environ = {"ISK_ROUTER_R1_PASSWORD": "pw"}
    with (
        SimulatedRouter(identity="r1", users={"isk-api": "pw"}) as sim,
        pytest.raises(RouterError) as failed,
    ):
        connect(router(sim.port, tls=True, tls_verify=False), environ)
    message = str(failed.value)
    assert "TLS handshake with 127.0.0.1:" in message and "failed" in message
    assert "timed out" not in message


def test_tls_against_a_silent_port_says_tls_handshake_failed(
    recorder: tuple[int, bytearray],
) -> None:
    port, _ = recorder  # accepts and never answers, like a plain API port waiting
    with pytest.raises(RouterError) as failed:
        connect(router(port, tls=True, tls_verify=False), {"ISK_ROUTER_R1_PASSWORD": "pw"})
    assert "TLS handshake with 127.0.0.1" in str(failed.value)
    assert "api-ssl port" in str(failed.value)
    assert "timed out" not in str(failed.value)


def test_router_check_shows_transport_warnings_and_no_password(tmp_path: Path) -> None:
    with SimulatedRouter(identity="r1", users={"isk-api": "pw-42"}) as sim:
        routers = {
            "r1": {"host": "127.0.0.1", "port": sim.port, "username": "isk-api",
                   "password_env": "ISK_ROUTER_R1_PASSWORD", "timeout": 2},
            "far": {"host": "127.0.0.1", "port": 9, "tls": True, "tls_verify": False, "timeout": 1,
                    "password_env": "ISK_ROUTER_FAR_PASSWORD"},
        }  # fmt: skip
        (tmp_path / "state").mkdir()
        (tmp_path / "state/routers.yaml").write_text(yaml.safe_dump(routers))
        environ = {**os.environ, "ISK_ROUTER_R1_PASSWORD": "pw-42",
                   "ISK_ROUTER_FAR_PASSWORD": AGE_KEY}  # fmt: skip
        environ.pop("ISK_REPO", None)
        result = subprocess.run(
            [str(ISK), "--repo", str(tmp_path), "router", "check"],
            capture_output=True, text=True, env=environ, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "warning: far: tls_verify: false" in result.stderr
    assert "r1  " in result.stdout and "identity r1" in result.stdout
    assert "holds an age identity, not an API password: not sent" in result.stdout
    assert "pw-42" not in output and AGE_KEY not in output and AGE_KEY[:20] not in output
