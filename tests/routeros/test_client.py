"""The RouterOS client over real TCP (and TLS) against the project's simulator."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.client import ConnectionLost, RouterClient
from isk_reconcile.routeros.connection import connect, tls_context
from isk_reconcile.routeros.fleet import on_routers, read_all, select_routers
from isk_reconcile.routeros.types import ACTIVE, PROFILE, SECRET, LiveState, Write
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.model import State
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings

PASSWORD_VARIABLE = "ISK_ROUTER_TEST_PASSWORD"
API_PASSWORD = "s3cret-api-pw"
ENV = {PASSWORD_VARIABLE: API_PASSWORD}


def start_sim(identity: str = "core-test", version: str = "7.16.2") -> SimulatedRouter:
    router = SimulatedRouter(
        identity=identity,
        users={"isk-api": API_PASSWORD},
        version=version,
        host="127.0.0.1",
        port=0,
    )
    router.start()
    return router


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    router = start_sim()
    try:
        yield router
    finally:
        router.stop()


def router_for(port: int, name: str = "core-test", **extra: object) -> Router:
    fields: dict[str, object] = {
        "name": name,
        "host": "127.0.0.1",
        "port": port,
        "username": "isk-api",
        "password_env": PASSWORD_VARIABLE,
        "timeout": 5,
    }
    fields.update(extra)
    return Router(**fields)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def secret_add(name: str, password: str = "pw", profile: str = "default") -> Write:
    return Write(
        menu=SECRET,
        command="add",
        attrs={"name": name, "password": password, "profile": profile, "service": "pppoe"},
        name=name,
    )


# --- connecting -------------------------------------------------------------------------


def test_connect_and_read_system_info(sim: SimulatedRouter) -> None:
    with connect(router_for(sim.port), ENV) as client:
        info = client.system()
    assert info.identity == "core-test"
    assert info.version.startswith("7.16.2")
    assert info.uptime != ""


def test_bad_password_is_a_router_error_without_the_password(sim: SimulatedRouter) -> None:
    wrong = "wrong-password-123"
    with pytest.raises(RouterError) as caught:
        connect(router_for(sim.port), {PASSWORD_VARIABLE: wrong})
    message = str(caught.value)
    assert message.startswith("core-test: login")
    assert "invalid user name or password" in message
    assert wrong not in message
    assert wrong not in repr(caught.value)


def test_missing_password_variable_names_the_variable(sim: SimulatedRouter) -> None:
    with pytest.raises(RouterError) as caught:
        connect(router_for(sim.port), {})
    assert str(caught.value) == f"core-test: API password not set: export {PASSWORD_VARIABLE}"


def test_default_password_variable_is_derived_from_the_name(sim: SimulatedRouter) -> None:
    router = router_for(sim.port, name="core-kudus", password_env=None, identity="core-test")
    with pytest.raises(RouterError, match="export ISK_ROUTER_CORE_KUDUS_PASSWORD"):
        connect(router, {})
    with connect(router, {"ISK_ROUTER_CORE_KUDUS_PASSWORD": API_PASSWORD}) as client:
        assert client.system().identity == "core-test"


def test_refused_port_is_a_router_error() -> None:
    port = free_port()
    with pytest.raises(RouterError) as caught:
        connect(router_for(port), ENV)
    assert f"cannot connect to 127.0.0.1:{port}" in str(caught.value)


def test_silent_router_times_out_with_a_clear_error() -> None:
    # accepts TCP (listen backlog) but never answers the login
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(RouterError) as caught:
            connect(router_for(port, timeout=0.3), ENV)
    assert "timed out" in str(caught.value)


# --- reading ----------------------------------------------------------------------------


def test_read_returns_exact_canonical_strings(sim: SimulatedRouter) -> None:
    sim.add(PROFILE, {"name": "home-10m", "rate-limit": "10000k/10000000", "only-one": "yes"})
    tricky = {"budi": "123456", "sari": "0123", "agus": "yes", "2024": "true"}
    for name, password in tricky.items():
        sim.add(SECRET, {"name": name, "password": password, "profile": "home-10m"})
    sim.add(SECRET, {"name": "off", "password": "00", "disabled": "yes"})
    sim.add_session("budi", address="10.20.0.15")

    with connect(router_for(sim.port), ENV) as client:
        live = client.read()

    assert live.router == "core-test"
    secrets = {item.name: item.attrs for item in live.secrets}
    for name, password in tricky.items():
        assert secrets[name]["password"] == password
        assert isinstance(secrets[name]["password"], str)
    assert "2024" in secrets  # a digit-only username stays a string key
    assert secrets["off"]["disabled"] == "true"
    assert secrets["budi"]["disabled"] == "false"
    profiles = {item.name: item for item in live.profiles}
    assert profiles["home-10m"].attrs["rate-limit"] == "10M/10M"
    assert profiles["home-10m"].attrs["only-one"] == "yes"
    assert profiles["home-10m"].id.startswith("*")
    assert {"default", "default-encryption"} <= set(profiles)
    assert [item.name for item in live.active] == ["budi"]
    assert live.active[0].attrs["address"] == "10.20.0.15"
    assert all(".id" not in item.attrs for item in live.secrets)


def test_read_is_exactly_one_print_per_menu(sim: SimulatedRouter) -> None:
    for number in range(50):
        sim.add(SECRET, {"name": f"c{number}", "password": "pw"})
    with connect(router_for(sim.port), ENV) as client:
        sim.reset_counters()
        live = client.read()
        assert sim.round_trips == 1  # measured at the router: the prints go out in one window
    assert len(live.secrets) == 50
    assert sim.counters[f"{PROFILE}/print"] == 1
    assert sim.counters[f"{SECRET}/print"] == 1
    assert sim.counters[f"{ACTIVE}/print"] == 1


def test_empty_replies_of_routeros_7_18() -> None:
    router = start_sim(version="7.18")
    try:
        with connect(router_for(router.port), ENV) as client:
            live = client.read()
            assert live.secrets == ()
            assert live.active == ()
            client.execute([[secret_add("first")]])
            assert [item.name for item in client.read().secrets] == ["first"]
    finally:
        router.stop()


def test_non_utf8_bytes_on_the_router_are_read_not_fatal(sim: SimulatedRouter) -> None:
    # "\udce9" is how the simulator holds the raw byte 0xE9 (cp1252 "é", as Winbox writes it)
    sim.add(SECRET, {"name": "winbox", "password": "pw", "comment": "caf\udce9"})
    sim.add(SECRET, {"name": "utf8", "password": "pw", "comment": "Budi Santoso café"})
    with connect(router_for(sim.port), ENV) as client:
        secrets = {item.name: item.attrs for item in client.read().secrets}
        client.execute([[secret_add("later")]])  # the session is still usable
    assert secrets["winbox"]["comment"] == "caf\ufffd"
    assert secrets["utf8"]["comment"] == "Budi Santoso café"


def test_fingerprint_ignores_ids_and_order(sim: SimulatedRouter) -> None:
    sim.add(SECRET, {"name": "a", "password": "1"})
    sim.add(SECRET, {"name": "b", "password": "2"})
    with connect(router_for(sim.port), ENV) as client:
        first = client.read()
    reordered = LiveState(
        router=first.router,
        profiles=first.profiles,
        secrets=tuple(reversed(first.secrets)),
        active=first.active,
    )
    assert reordered.fingerprint() == first.fingerprint()


# --- writing ----------------------------------------------------------------------------


def test_thousand_writes_are_pipelined(sim: SimulatedRouter) -> None:
    writes = [secret_add(f"cust{number:04d}", password=f"{number:06d}") for number in range(1000)]
    seen: list[int] = []
    with connect(router_for(sim.port), ENV) as client:
        sim.reset_counters()
        results = client.execute([writes], progress=seen.append)
        trips = sim.round_trips  # measured at the router, not by the client
        live = client.read()
    assert [result.write for result in results] == writes
    assert all(result.ok for result in results)
    assert all(result.ret and result.ret.startswith("*") for result in results)
    assert len({result.ret for result in results}) == 1000
    assert trips <= 20  # 1,000 writes in windows, not 1,000 round trips
    assert seen == list(range(1, 1001))
    passwords = {item.name: item.attrs["password"] for item in live.secrets}
    assert passwords["cust0000"] == "000000"
    assert passwords["cust0999"] == "000999"
    assert sim.counters[f"{SECRET}/add"] == 1000


def test_batches_run_in_order(sim: SimulatedRouter) -> None:
    profile = Write(
        menu=PROFILE,
        command="add",
        attrs={"name": "home-20m", "rate-limit": "20M/20M"},
        name="home-20m",
    )
    # the secret needs the profile: it only works because the first batch completed first
    with connect(router_for(sim.port), ENV) as client:
        results = client.execute([[profile], [secret_add("budi", profile="home-20m")]])
    assert [result.ok for result in results] == [True, True]


def test_set_unset_disable_and_remove(sim: SimulatedRouter) -> None:
    ident = sim.add(SECRET, {"name": "budi", "password": "pw", "remote-address": "10.0.0.9"})
    with connect(router_for(sim.port), ENV) as client:
        results = client.execute(
            [
                [
                    Write(SECRET, "set", {".id": ident, "password": "0123"}, name="budi"),
                    Write(
                        SECRET,
                        "unset",
                        {".id": ident, "value-name": "remote-address"},
                        name="budi",
                    ),
                    Write(SECRET, "disable", {".id": ident}, name="budi"),
                ]
            ]
        )
        assert all(result.ok for result in results), results
        (budi,) = client.read().secrets
        assert budi.attrs["password"] == "0123"
        assert budi.attrs["disabled"] == "true"
        assert budi.attrs.get("remote-address", "") == ""
        # disabled as a set attribute: the canonical "false" goes out as RouterOS "no"
        client.execute([[Write(SECRET, "set", {".id": ident, "disabled": "false"}, name="budi")]])
        assert client.read().secrets[0].attrs["disabled"] == "false"
        client.execute([[Write(SECRET, "remove", {".id": ident}, name="budi")]])
        assert client.read().secrets == ()


def test_a_trap_fails_only_its_write(sim: SimulatedRouter) -> None:
    sim.add(SECRET, {"name": "taken", "password": "pw"})
    writes = [
        secret_add("a"),
        secret_add("taken"),
        secret_add("b"),
        secret_add("c", profile="no-such-profile"),
    ]
    with connect(router_for(sim.port), ENV) as client:
        results = client.execute([writes])
        names = sorted(item.name for item in client.read().secrets)
    assert [result.ok for result in results] == [True, False, True, False]
    assert "already exists" in (results[1].error or "")
    assert results[3].error
    assert names == ["a", "b", "taken"]


def test_injected_trap_is_reported(sim: SimulatedRouter) -> None:
    sim.faults.trap_on = {f"{SECRET}/add": "failure: simulated"}
    with connect(router_for(sim.port), ENV) as client:
        results = client.execute([[secret_add("a")]])
    assert results[0].ok is False
    assert results[0].error == "failure: simulated"


def test_dropped_connection_reports_partial_results(sim: SimulatedRouter) -> None:
    sim.faults.drop_after_writes = 10
    writes = [secret_add(f"c{number}") for number in range(40)]
    with connect(router_for(sim.port), ENV) as client, pytest.raises(ConnectionLost) as caught:
        client.execute([writes])
    lost = caught.value
    assert isinstance(lost, RouterError)
    completed = len(lost.results)
    assert completed <= 10
    assert all(result.ok for result in lost.results)
    assert [result.write for result in lost.results] == writes[:completed]
    assert f"connection lost after {completed} of 40 writes completed" in str(lost)
    assert len(sim.items(SECRET)) >= completed


def test_passwords_never_show_in_reprs_or_errors(sim: SimulatedRouter) -> None:
    write = secret_add("budi", password="hunter2-plain")
    assert "hunter2-plain" not in repr(write)
    sim.faults.trap_on = {f"{SECRET}/add": "failure: simulated"}
    with connect(router_for(sim.port), ENV) as client:
        (result,) = client.execute([[write]])
        assert API_PASSWORD not in repr(client)
    assert "hunter2-plain" not in repr(result)


def test_reboot_drops_the_connection_and_is_success(sim: SimulatedRouter) -> None:
    client = connect(router_for(sim.port), ENV)
    client.reboot()
    with pytest.raises(RouterError, match="closed"):
        client.read()
    client.close()


def test_writes_after_close_are_refused(sim: SimulatedRouter) -> None:
    client = connect(router_for(sim.port), ENV)
    client.close()
    with pytest.raises(RouterError, match="closed"):
        client.execute([[secret_add("a")]])


# --- several routers --------------------------------------------------------------------


def fleet_state(routers: list[Router]) -> State:
    return State(
        settings=Settings(),
        routers={router.name: router for router in routers},
        profiles={},
        customers={},
        ledger=(),
    )


def test_read_all_isolates_failures() -> None:
    first, second = start_sim("r1"), start_sim("r2")
    try:
        first.add(SECRET, {"name": "one", "password": "pw"})
        second.add(SECRET, {"name": "two", "password": "pw"})
        state = fleet_state(
            [
                router_for(first.port, name="r1"),
                router_for(free_port(), name="down"),
                router_for(second.port, name="r2"),
            ]
        )
        results = read_all(state, None, ENV)
        assert list(results) == ["r1", "down", "r2"]
        assert isinstance(results["r1"], LiveState)
        assert [item.name for item in results["r1"].secrets] == ["one"]
        assert isinstance(results["r2"], LiveState)
        assert [item.name for item in results["r2"].secrets] == ["two"]
        assert isinstance(results["down"], RouterError)
        assert "connection refused" in str(results["down"])

        partial = read_all(state, ["r2", "nowhere"], ENV)
        assert isinstance(partial["r2"], LiveState)
        assert isinstance(partial["nowhere"], RouterError)
    finally:
        first.stop()
        second.stop()


def test_select_routers_rejects_unknown_names() -> None:
    state = fleet_state([router_for(1, name="r1"), router_for(2, name="r2")])
    assert [router.name for router in select_routers(state, None)] == ["r1", "r2"]
    assert [router.name for router in select_routers(state, ["r2"])] == ["r2"]
    with pytest.raises(Exception, match="unknown router x"):
        select_routers(state, ["x"])


# --- TLS --------------------------------------------------------------------------------


def test_tls_context_verifies_by_default() -> None:
    context = tls_context(router_for(8729, tls=True))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_tls_verify_false_is_an_explicit_opt_out() -> None:
    context = tls_context(router_for(8729, tls=True, tls_verify=False))
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False


def test_tls_ca_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RouterError, match="TLS CA bundle not found"):
        tls_context(router_for(8729, tls=True, tls_ca=str(tmp_path / "missing.pem")))


def test_default_port_follows_tls() -> None:
    assert Router(name="a", host="127.0.0.1").api_port == 8728
    assert Router(name="a", host="127.0.0.1", tls=True).api_port == 8729


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl tool not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TlsFront:
    """api-ssl in front of the simulator: terminates TLS and relays bytes to its plain port."""

    def __init__(self, backend_port: int, cert: Path, key: Path):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.backend_port = backend_port
        self.serving = threading.Thread(target=self._serve, daemon=True)
        self.serving.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=_pump, args=(backend, secure), daemon=True).start()
        _pump(secure, backend)

    def close(self) -> None:
        """Stop accepting: a close alone does not wake a blocked accept on Linux (no thread
        is left behind, which would keep later tests from forking)."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.serving.join(timeout=10)


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    for end in (source, target):
        with contextlib.suppress(OSError):
            end.close()


def test_tls_with_the_routers_ca(sim: SimulatedRouter, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    front = TlsFront(sim.port, cert, key)
    try:
        router = router_for(front.port, tls=True, tls_ca=str(cert))
        with connect(router, ENV) as client:
            assert client.system().identity == "core-test"
            assert client.read().router == "core-test"
        with pytest.raises(RouterError, match="not trusted"):
            connect(router_for(front.port, tls=True), ENV)  # system CAs do not know it
        with connect(router_for(front.port, tls=True, tls_verify=False), ENV) as client:
            assert client.system().identity == "core-test"
    finally:
        front.close()


def test_client_is_a_router_client(sim: SimulatedRouter) -> None:
    with connect(router_for(sim.port), ENV) as client:
        assert isinstance(client, RouterClient)
        assert client.name == "core-test"


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        router = SimulatedRouter(
            identity="v6", users={"isk-api": API_PASSWORD}, host="::1", port=0
        ).start()
    except Exception as problem:  # a host without an IPv6 loopback address
        pytest.skip(f"cannot listen on ::1: {problem}")
    try:
        with connect(router_for(router.port, host="::1", identity="v6"), ENV) as client:
            assert client.system().identity == "v6"
    finally:
        router.stop()


def test_on_routers_reports_each_router_once() -> None:
    first = start_sim("r1")
    try:
        routers = [router_for(first.port, name="r1"), router_for(free_port(), name="down")]
        seen: list[tuple[str, bool]] = []
        results = on_routers(
            routers,
            lambda client: client.system().identity,
            ENV,
            on_result=lambda name, outcome: seen.append((name, isinstance(outcome, str))),
        )
        assert results["r1"] == "r1"
        assert isinstance(results["down"], RouterError)
        assert sorted(seen) == [("down", False), ("r1", True)]
    finally:
        first.stop()


class PreLoginRouter:
    """A RouterOS older than 6.43 on loopback: it ignores the plain password, answers the
    first /login with a challenge and accepts only the MD5 response (the test vector of
    ROUTEROS.md: challenge abc123, password passTest)."""

    CHALLENGE = "abc123"
    RESPONSE = "0021277bff9ac7caf06aa608e46616d47f"

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.logins: list[list[str]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        from isk_reconcile.sim.codec import SentenceReader, encode_sentence

        with contextlib.suppress(OSError, EOFError):
            connection, _ = self.listener.accept()
            with connection, connection.makefile("rb") as stream:
                reader = SentenceReader(stream)
                while (words := reader.read_sentence()) is not None:
                    tag = [word for word in words if word.startswith(".tag=")]
                    if words[0] == "/login":
                        self.logins.append(words)
                        if len(self.logins) == 1:
                            reply = [["!done", f"=ret={self.CHALLENGE}"]]
                        elif f"=response={self.RESPONSE}" in words:
                            reply = [["!done"]]
                        else:
                            reply = [
                                ["!trap", "=message=invalid user name or password (6)"],
                                ["!done"],
                            ]
                    elif words[0] == "/system/identity/print":
                        reply = [["!re", "=name=old-router", *tag], ["!done", *tag]]
                    else:
                        reply = [["!re", "=version=6.42.12", *tag], ["!done", *tag]]
                    connection.sendall(b"".join(encode_sentence(s) for s in reply))

    def close(self) -> None:
        self.listener.close()


def test_falls_back_to_challenge_login_on_old_routers() -> None:
    old = PreLoginRouter()
    try:
        router = router_for(old.port, identity="old-router")
        with connect(router, {PASSWORD_VARIABLE: "passTest"}) as client:
            info = client.system()
        assert info.identity == "old-router"
        assert info.version == "6.42.12"
        assert len(old.logins) == 2
        assert f"=response={PreLoginRouter.RESPONSE}" in old.logins[1]
        assert not any(word.startswith("=password=") for word in old.logins[1])
    finally:
        old.close()
