"""A second, independent client: `routeros-api` (PyPI), which always tags its commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import routeros_api
from routeros_api.exceptions import RouterOsApiCommunicationError

from isk_reconcile.sim import SimulatedRouter

USER, PASSWORD = "isk-api", "s3cret"


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    with SimulatedRouter(identity="core-kudus", users={USER: PASSWORD}) as router:
        yield router


def pool(sim: SimulatedRouter, password: str = PASSWORD, plaintext: bool = True):
    return routeros_api.RouterOsApiPool(
        sim.host, username=USER, password=password, port=sim.port, plaintext_login=plaintext
    )


@pytest.fixture
def api(sim: SimulatedRouter) -> Iterator[routeros_api.api.RouterOsApi]:
    connection = pool(sim)
    yield connection.get_api()
    connection.disconnect()


def test_plain_and_challenge_login(sim: SimulatedRouter) -> None:
    for plaintext in (True, False):
        connection = pool(sim, plaintext=plaintext)
        identity = connection.get_api().get_resource("/system/identity").get()
        assert identity == [{"name": "core-kudus"}]
        connection.disconnect()


def test_wrong_password_is_refused(sim: SimulatedRouter) -> None:
    with pytest.raises(RouterOsApiCommunicationError, match="invalid user name or password"):
        pool(sim, password="wrong").get_api()


def test_add_print_set_remove(sim: SimulatedRouter, api) -> None:
    profiles = api.get_resource("/ppp/profile")
    secrets = api.get_resource("/ppp/secret")
    profiles.add(name="home-10m", rate_limit="10M/10M")
    secrets.add(name="budi", password="rahasia", profile="home-10m", service="pppoe")
    secrets.add(name="siti", password="rahasia2")
    (budi,) = secrets.get(name="budi")
    assert (budi["profile"], budi["service"], budi["disabled"]) == ("home-10m", "pppoe", "false")
    secrets.set(id=budi["id"], disabled="yes", comment="isk:budi Budi")
    assert sim.items("/ppp/secret")[0]["disabled"] == "true"
    # An empty value is sent as "=comment" with no second "=": it clears the field.
    secrets.set(id=budi["id"], comment="")
    assert sim.items("/ppp/secret")[0]["comment"] == ""
    secrets.remove(id=budi["id"])
    assert [s["name"] for s in secrets.get()] == ["siti"]
    assert sorted(p["name"] for p in profiles.get()) == [
        "default",
        "default-encryption",
        "home-10m",
    ]


def test_traps_become_communication_errors(api) -> None:
    secrets = api.get_resource("/ppp/secret")
    secrets.add(name="budi")
    for call, message in (
        (lambda: secrets.add(name="budi"), "failure: secret with the same name already exists"),
        (
            lambda: secrets.add(name="x", profile="gold"),
            "input does not match any value of profile",
        ),
        (lambda: secrets.set(id="*99", comment="x"), "no such item"),
        (lambda: secrets.add(name="x", colour="red"), "unknown parameter colour"),
    ):
        with pytest.raises(RouterOsApiCommunicationError) as caught:
            call()
        assert caught.value.original_message.decode() == message


def test_queries_from_the_second_client(sim: SimulatedRouter, api) -> None:
    for name, disabled in (("budi", "no"), ("siti", "yes"), ("wati", "no")):
        sim.add("/ppp/secret", {"name": name, "disabled": disabled})
    secrets = api.get_binary_resource("/ppp/secret")
    rows = secrets.call(
        "print",
        {"detail": b""},
        additional_queries=(routeros_api.query.IsEqualQuery("disabled", "no"),),
    )
    assert sorted(row["name"] for row in rows) == [b"budi", b"wati"]
    either = routeros_api.query.OrQuery(
        routeros_api.query.IsEqualQuery("name", "budi"),
        routeros_api.query.IsEqualQuery("name", "siti"),
    )
    rows = secrets.call("print", {}, additional_queries=(either,))
    assert sorted(row["name"] for row in rows) == [b"budi", b"siti"]


def test_empty_print_in_7_18_mode() -> None:
    with SimulatedRouter(users={USER: PASSWORD}, version="7.18") as sim:
        connection = pool(sim)
        assert connection.get_api().get_resource("/ppp/secret").get() == []
        connection.disconnect()


def test_non_ascii_text_round_trips(sim: SimulatedRouter, api) -> None:
    api.get_resource("/ppp/secret").add(name="budi", comment="Budi Santoso café")
    assert sim.items("/ppp/secret")[0]["comment"] == "Budi Santoso café"
    assert api.get_resource("/ppp/secret").get()[0]["comment"] == "Budi Santoso café"
