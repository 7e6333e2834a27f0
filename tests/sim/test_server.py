"""The simulator over real TCP with librouteros 4.2 (the client the project uses)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import librouteros
import pytest
from librouteros.exceptions import ConnectionClosed, TrapError
from librouteros.login import token
from librouteros.query import And, Key, Or

from isk_reconcile.errors import IskError
from isk_reconcile.sim import SimulatedRouter

USER, PASSWORD = "isk-api", "s3cret"


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    with SimulatedRouter(identity="core-kudus", users={USER: PASSWORD}) as router:
        yield router


def connect(sim: SimulatedRouter, **options) -> librouteros.Api:
    return librouteros.connect(sim.host, USER, PASSWORD, port=sim.port, timeout=10, **options)


@pytest.fixture
def api(sim: SimulatedRouter) -> Iterator[librouteros.Api]:
    connection = connect(sim)
    yield connection
    connection.close()


def test_plain_login_then_identity(api: librouteros.Api) -> None:
    assert list(api.path("system", "identity")) == [{"name": "core-kudus"}]


def test_legacy_challenge_login(sim: SimulatedRouter) -> None:
    connection = connect(sim, login_method=token)
    assert list(connection.path("system", "identity")) == [{"name": "core-kudus"}]
    connection.close()
    assert sim.counters["/login"] == 2  # challenge, then response


def test_wrong_password_traps(sim: SimulatedRouter) -> None:
    with pytest.raises(TrapError, match=r"invalid user name or password \(6\)"):
        librouteros.connect(sim.host, USER, "wrong", port=sim.port)
    with pytest.raises(TrapError, match="invalid user name or password"):
        librouteros.connect(sim.host, USER, "wrong", port=sim.port, login_method=token)
    with pytest.raises(TrapError, match="invalid user name or password"):
        librouteros.connect(sim.host, "nobody", PASSWORD, port=sim.port)


def test_commands_before_login_are_refused(sim: SimulatedRouter) -> None:
    connection = librouteros.connect(
        sim.host, USER, PASSWORD, port=sim.port, login_method=lambda *_: None
    )
    with pytest.raises(TrapError, match="not logged in"):
        list(connection.path("ppp", "secret"))
    connection.close()
    assert sim.counters["/ppp/secret/print"] == 1


def test_create_change_disable_delete_a_secret(sim: SimulatedRouter, api: librouteros.Api) -> None:
    profiles = api.path("ppp", "profile")
    secrets = api.path("ppp", "secret")
    profile_id = profiles.add(name="home-10m", **{"rate-limit": "10M/10M", "only-one": True})
    secret_id = secrets.add(name="budi", password="123456", profile="home-10m", service="pppoe")
    assert secret_id.startswith("*")
    (row,) = list(secrets)
    # librouteros turns digit-only strings into ints and true/false into booleans.
    assert row == {
        ".id": secret_id,
        "name": "budi",
        "password": 123456,
        "profile": "home-10m",
        "service": "pppoe",
        "disabled": False,
    }
    secrets.update(**{".id": secret_id, "comment": "isk:budi Budi", "disabled": True})
    assert sim.items("/ppp/secret")[0]["disabled"] == "true"
    tuple(secrets("enable", **{".id": secret_id}))
    tuple(secrets("disable", **{".id": secret_id}))
    tuple(secrets("unset", **{".id": secret_id, "value-name": "comment"}))
    item = sim.items("/ppp/secret")[0]
    assert item["disabled"] == "true" and "comment" not in item
    secrets.remove(secret_id)
    profiles.remove(profile_id)
    assert sim.items("/ppp/secret") == []
    assert [p["name"] for p in sim.items("/ppp/profile")] == ["default", "default-encryption"]
    assert sim.writes == 8


def test_routeros_errors_arrive_as_trap_errors(api: librouteros.Api) -> None:
    secrets = api.path("ppp", "secret")
    secrets.add(name="budi")
    cases = [
        (lambda: secrets.add(name="budi"), "failure: secret with the same name already exists"),
        (
            lambda: secrets.add(name="siti", profile="gold"),
            "input does not match any value of profile",
        ),
        (lambda: secrets.update(**{".id": "*99", "comment": "x"}), "no such item"),
        (lambda: secrets.remove("*99"), "no such item"),
        (lambda: secrets.add(name="siti", colour="red"), "unknown parameter colour"),
        (lambda: api.path("ppp", "profile").remove("*0"), "failure: can not remove"),
        (lambda: api.path("ppp", "profile").add(name="default"), "failure: profile with the same"),
        (lambda: list(api.path("ppp", "nothing")), "no such command"),
    ]
    for action, message in cases:
        with pytest.raises(TrapError) as caught:
            action()
        assert str(caught.value).startswith(message)


def test_print_proplist_and_queries(sim: SimulatedRouter, api: librouteros.Api) -> None:
    for name, disabled in (("budi", "no"), ("siti", "yes"), ("wati", "no")):
        sim.add("/ppp/secret", {"name": name, "disabled": disabled})
    secrets = api.path("ppp", "secret")
    name, disabled = Key("name"), Key("disabled")
    assert list(secrets.select(name).where(disabled == True)) == [{"name": "siti"}]  # noqa: E712
    assert list(secrets.select(name).where(name != "budi")) == [{"name": "siti"}, {"name": "wati"}]
    assert list(secrets.select(name).where(Or(name == "budi", name == "wati"))) == [
        {"name": "budi"},
        {"name": "wati"},
    ]
    assert list(secrets.select(name).where(And(name == "wati", disabled == False))) == [  # noqa: E712
        {"name": "wati"}
    ]
    assert list(secrets.select(name).where(name.In("budi", "siti"))) == [
        {"name": "budi"},
        {"name": "siti"},
    ]
    assert list(secrets.select(name).where(name == "nobody")) == []
    assert sim.counters["/ppp/secret/print"] == 6


def test_empty_print_in_routeros_7_18_mode() -> None:
    with SimulatedRouter(users={USER: PASSWORD}, version="7.18.2") as sim:
        connection = connect(sim)
        assert list(connection.path("ip", "pool")) == []
        connection.close()


def test_resource_reports_version_and_uptime(api: librouteros.Api) -> None:
    (resource,) = list(api.path("system", "resource"))
    assert resource["version"] == "7.16.2 (stable)"
    assert resource["uptime"].endswith("s")


def test_disabling_a_secret_keeps_its_session(sim: SimulatedRouter, api: librouteros.Api) -> None:
    secret_id = sim.add("/ppp/secret", {"name": "budi", "password": "x"})
    sim.add_session("budi", address="10.20.0.15", caller_id="AA:BB:CC:DD:EE:FF")
    api.path("ppp", "secret").update(**{".id": secret_id, "disabled": True})
    (session,) = list(api.path("ppp", "active"))
    assert session["name"] == "budi"
    assert session["address"] == "10.20.0.15"
    assert session["caller-id"] == "AA:BB:CC:DD:EE:FF"
    api.path("ppp", "active").remove(session[".id"])  # how a client is disconnected
    assert list(api.path("ppp", "active")) == []


def test_reboot_drops_every_connection_and_every_session(sim: SimulatedRouter) -> None:
    sim.add("/ppp/secret", {"name": "budi"})
    sim.add_session("budi")
    first, second = connect(sim), connect(sim)
    with pytest.raises((ConnectionClosed, OSError)):
        tuple(first("/system/reboot"))
    with pytest.raises((ConnectionClosed, OSError)):
        list(second.path("system", "identity"))
    first.close()
    second.close()
    after = connect(sim)
    assert list(after.path("ppp", "active")) == []
    assert [s["name"] for s in after.path("ppp", "secret")] == ["budi"]
    after.close()


def test_many_connections_share_one_router(sim: SimulatedRouter) -> None:
    connections = [connect(sim) for _ in range(8)]
    for number, connection in enumerate(connections):
        connection.path("ppp", "secret").add(name=f"user{number}")
    for connection in connections:
        assert len(list(connection.path("ppp", "secret"))) == 8
        connection.close()


def test_ten_thousand_secrets_print_in_one_command(
    sim: SimulatedRouter, api: librouteros.Api
) -> None:
    for number in range(10000):
        sim.add("/ppp/secret", {"name": f"c{number:05d}", "password": "pw", "comment": "isk:x"})
    rows = list(api.path("ppp", "secret"))
    assert len(rows) == 10000
    assert rows[-1]["name"] == "c09999"
    assert sim.counters["/ppp/secret/print"] == 1


def test_only_loopback_addresses_are_accepted() -> None:
    with pytest.raises(IskError, match="loopback"):
        SimulatedRouter(host="0.0.0.0")
    with pytest.raises(IskError, match="loopback"):
        SimulatedRouter(host="10.10.0.1")


def test_stop_closes_client_connections(sim: SimulatedRouter) -> None:
    connection = connect(sim)
    sim.stop()
    with pytest.raises((ConnectionClosed, OSError)):
        list(connection.path("system", "identity"))
    connection.close()
    assert sim.connection_count == 0


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        sim = SimulatedRouter(users={USER: PASSWORD}, host="::1").start()
    except IskError as problem:
        pytest.skip(f"::1 not available: {problem}")
    try:
        connection = librouteros.connect("::1", USER, PASSWORD, port=sim.port)
        assert list(connection.path("system", "identity")) == [{"name": "MikroTik"}]
        connection.close()
    finally:
        sim.stop()
