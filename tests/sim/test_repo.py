"""serve_repo: one simulator per router of a state repository."""

from __future__ import annotations

import socket
from pathlib import Path

import librouteros
import pytest
from librouteros.exceptions import TrapError

from isk_reconcile.errors import IskError
from isk_reconcile.sim import serve_repo
from isk_reconcile.sim.repo import read_routers


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


def write_routers(repo: Path, text: str) -> Path:
    (repo / "state").mkdir(parents=True, exist_ok=True)
    (repo / "state" / "routers.yaml").write_text(text, encoding="utf-8")
    return repo


@pytest.fixture
def two_routers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, int]:
    kudus, jepara = free_ports(2)
    monkeypatch.setenv("ISK_ROUTER_CORE_KUDUS_PASSWORD", "kudus-pw")
    monkeypatch.setenv("ISK_ROUTER_EDGE_JEPARA_PASSWORD", "jepara-pw")
    write_routers(
        tmp_path,
        f"""
core-kudus:
  host: 10.10.0.1            # never contacted: simulators always listen on loopback
  port: {kudus}
  username: isk-api
  password_env: ISK_ROUTER_CORE_KUDUS_PASSWORD
edge-jepara:
  host: 10.10.1.1
  port: {jepara}
  tls: true
  username: isk-api
  password_env: ISK_ROUTER_EDGE_JEPARA_PASSWORD
""",
    )
    return tmp_path, kudus, jepara


def test_one_simulator_per_router_on_loopback(two_routers: tuple[Path, int, int]) -> None:
    repo, kudus, jepara = two_routers
    routers = serve_repo(repo)
    try:
        assert [(r.identity, r.host, r.port) for r in routers] == [
            ("core-kudus", "127.0.0.1", kudus),
            ("edge-jepara", "127.0.0.1", jepara),
        ]
        api = librouteros.connect("127.0.0.1", "isk-api", "jepara-pw", port=jepara)
        assert list(api.path("system", "identity")) == [{"name": "edge-jepara"}]
        api.close()
        with pytest.raises(TrapError, match="invalid user name or password"):
            librouteros.connect("127.0.0.1", "isk-api", "jepara-pw", port=kudus)
    finally:
        for router in routers:
            router.stop()


def test_missing_password_variable_is_an_error(
    two_routers: tuple[Path, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, kudus, _ = two_routers
    monkeypatch.delenv("ISK_ROUTER_EDGE_JEPARA_PASSWORD")
    with pytest.raises(IskError, match="ISK_ROUTER_EDGE_JEPARA_PASSWORD is not set"):
        serve_repo(repo)
    # nothing was left running on the first router's port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", kudus))


def test_without_env_any_password_is_accepted(
    two_routers: tuple[Path, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, kudus, _ = two_routers
    monkeypatch.delenv("ISK_ROUTER_CORE_KUDUS_PASSWORD")
    routers = serve_repo(repo, users_from_env=False)
    try:
        api = librouteros.connect("127.0.0.1", "isk-api", "anything", port=kudus)
        api.close()
        with pytest.raises(TrapError):
            librouteros.connect("127.0.0.1", "someone-else", "anything", port=kudus)
    finally:
        for router in routers:
            router.stop()


def test_two_routers_on_one_port_are_refused(tmp_path: Path) -> None:
    write_routers(
        tmp_path,
        "a: {username: u, password_env: A}\nb: {username: u, password_env: B}\n",
    )
    with pytest.raises(IskError, match="both use port 8728"):
        serve_repo(tmp_path, users_from_env=False)


def test_default_ports_follow_tls(tmp_path: Path) -> None:
    from isk_reconcile.sim.repo import _router_port

    assert _router_port("a", {}) == 8728
    assert _router_port("a", {"tls": True}) == 8729
    assert _router_port("a", {"tls": True, "port": 18729}) == 18729
    with pytest.raises(IskError, match="port"):
        _router_port("a", {"port": "8728"})


def test_unreadable_routers_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IskError, match="cannot read"):
        read_routers(tmp_path)
    write_routers(tmp_path, "- a\n- b\n")
    with pytest.raises(IskError, match="mapping"):
        read_routers(tmp_path)
