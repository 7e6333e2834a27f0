"""`isk sim serve` as an operator runs it: a foreground process stopped by a signal."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import librouteros
import pytest

LINE = re.compile(r"^(\S+) listening on 127\.0\.0\.1:(\d+) \(RouterOS (\S+)\)$")


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        [sys.executable, "-m", "isk_reconcile", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def listening(process: subprocess.Popen) -> tuple[str, int, str]:
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    found = LINE.match(line)
    if not line and process.stderr is not None:  # stdout closed: the server has exited
        process.wait(timeout=30)
        pytest.fail(f"isk sim serve exited: {process.stderr.read().strip()}")
    assert found, f"unexpected output {line!r}"
    return found.group(1), int(found.group(2)), found.group(3)


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def free_ports(count: int) -> list[int]:
    """Distinct free ports: every probe stays bound until all are chosen."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def test_serve_one_router_and_dump_on_exit(tmp_path: Path) -> None:
    dump = tmp_path / "after.json"
    with serving(
        "sim",
        "serve",
        "--port",
        "0",
        "--user",
        "isk-api:s3cret",
        "--identity",
        "core-kudus",
        "--version",
        "7.18.1",
        "--dump",
        str(dump),
    ) as process:
        identity, port, version = listening(process)
        assert (identity, version) == ("core-kudus", "7.18.1")
        api = librouteros.connect("127.0.0.1", "isk-api", "s3cret", port=port)
        api.path("ppp", "secret").add(name="budi", password="pw")
        api.close()
        assert stop(process) == 0
    snapshot = json.loads(dump.read_text())
    assert [s["name"] for s in snapshot["menus"]["/ppp/secret"]] == ["budi"]
    assert snapshot["menus"]["/ppp/secret"][0]["password"] == "(hidden)"
    assert '"pw"' not in dump.read_text()


def test_serve_seeded_from_a_yaml_state_file(tmp_path: Path) -> None:
    state = tmp_path / "router.yaml"
    state.write_text(
        "identity: edge-jepara\n"
        "menus:\n"
        "  /ppp/profile: [{name: home-10m, rate-limit: 10M/10M}]\n"
        "  /ppp/secret: [{name: siti, password: pw, profile: home-10m, disabled: true}]\n"
    )
    with serving("sim", "serve", "--port", "0", "--user", "a:b", "--state", str(state)) as process:
        identity, port, _ = listening(process)
        assert identity == "edge-jepara"
        api = librouteros.connect("127.0.0.1", "a", "b", port=port)
        (secret,) = list(api.path("ppp", "secret"))
        assert (secret["profile"], secret["disabled"]) == ("home-10m", True)
        api.close()
        assert stop(process) == 0


def test_serve_every_router_of_a_repo(tmp_path: Path) -> None:
    ports = free_ports(2)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "routers.yaml").write_text(
        f"core-kudus: {{port: {ports[0]}, username: isk-api, password_env: ISK_ROUTER_K_PW}}\n"
        f"edge-jepara: {{port: {ports[1]}, username: isk-api, password_env: ISK_ROUTER_J_PW}}\n"
    )
    env = {"ISK_ROUTER_K_PW": "k", "ISK_ROUTER_J_PW": "j"}
    with serving("--repo", str(tmp_path), "sim", "serve", env=env) as process:
        found = [listening(process), listening(process)]
        assert [(name, port) for name, port, _ in found] == list(
            zip(["core-kudus", "edge-jepara"], ports, strict=True)
        )
        api = librouteros.connect("127.0.0.1", "isk-api", "j", port=ports[1])
        assert list(api.path("system", "identity")) == [{"name": "edge-jepara"}]
        api.close()
        assert stop(process) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nocolon"], "NAME:PASSWORD"),
        (["--state", "/nonexistent/state.yaml"], "cannot read"),
        (["--repo", "/nonexistent"], "cannot read"),
    ],
)
def test_mistakes_are_one_line_errors(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "sim", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
