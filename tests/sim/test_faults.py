"""Test controls: latency, dropped connections, injected traps, counters, seeding."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import librouteros
import pytest
from librouteros.exceptions import ConnectionClosed, TrapError

from isk_reconcile.sim import Faults, SimulatedRouter, Trap

USER, PASSWORD = "isk-api", "s3cret"


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    with SimulatedRouter(identity="core-kudus", users={USER: PASSWORD}) as router:
        yield router


def connect(sim: SimulatedRouter) -> librouteros.Api:
    return librouteros.connect(sim.host, USER, PASSWORD, port=sim.port, timeout=10)


def test_faults_start_harmless() -> None:
    assert Faults() == Faults(latency_ms=0.0, drop_after_writes=None, trap_on={})


def test_latency_is_added_to_every_sequential_command(sim: SimulatedRouter) -> None:
    api = connect(sim)
    sim.faults.latency_ms = 200
    started = time.monotonic()
    for _ in range(3):
        list(api.path("system", "identity"))
    # A lower bound only: each untagged command waits for its own delayed reply.
    assert time.monotonic() - started >= 0.6
    api.close()


def test_latency_from_the_constructor() -> None:
    with SimulatedRouter(users={USER: PASSWORD}, latency_ms=150) as sim:
        assert sim.faults.latency_ms == 150
        started = time.monotonic()
        connect(sim).close()  # the login waits for one delayed reply
        assert time.monotonic() - started >= 0.15


def test_drop_after_writes_closes_instead_of_applying(sim: SimulatedRouter) -> None:
    api = connect(sim)
    secrets = api.path("ppp", "secret")
    sim.faults.drop_after_writes = 2
    secrets.add(name="a")
    secrets.add(name="b")
    assert list(api.path("system", "identity"))  # reads are not writes: still answered
    with pytest.raises((ConnectionClosed, OSError)):
        secrets.add(name="c")
    api.close()
    assert [s["name"] for s in sim.items("/ppp/secret")] == ["a", "b"]
    assert sim.writes == 2
    assert sim.faults.drop_after_writes is None  # one-shot: a retry can converge
    retry = connect(sim)
    retry.path("ppp", "secret").add(name="c")
    retry.close()
    assert [s["name"] for s in sim.items("/ppp/secret")] == ["a", "b", "c"]


def test_drop_counts_writes_across_connections(sim: SimulatedRouter) -> None:
    first, second = connect(sim), connect(sim)
    sim.faults.drop_after_writes = 1
    first.path("ppp", "secret").add(name="a")
    with pytest.raises((ConnectionClosed, OSError)):
        second.path("ppp", "secret").add(name="b")
    assert [s["name"] for s in first.path("ppp", "secret")] == ["a"]
    first.close()
    second.close()


def test_trap_on_a_command(sim: SimulatedRouter) -> None:
    api = connect(sim)
    sim.faults.trap_on["/ppp/secret/add"] = "failure: simulated outage"
    with pytest.raises(TrapError, match="failure: simulated outage"):
        api.path("ppp", "secret").add(name="budi")
    assert sim.items("/ppp/secret") == []
    assert sim.writes == 0
    del sim.faults.trap_on["/ppp/secret/add"]
    api.path("ppp", "secret").add(name="budi")
    assert len(sim.items("/ppp/secret")) == 1
    api.close()


def test_trap_on_one_named_item(sim: SimulatedRouter) -> None:
    budi = sim.add("/ppp/secret", {"name": "budi"})
    siti = sim.add("/ppp/secret", {"name": "siti"})
    sim.faults.trap_on["/ppp/secret/set siti"] = "failure: busy"
    api = connect(sim)
    secrets = api.path("ppp", "secret")
    secrets.update(**{".id": budi, "disabled": True})
    with pytest.raises(TrapError, match="failure: busy"):
        secrets.update(**{".id": siti, "disabled": True})
    assert [s["disabled"] for s in sim.items("/ppp/secret")] == ["true", "false"]
    api.close()


def test_counters_count_commands_per_menu_and_reset(sim: SimulatedRouter) -> None:
    api = connect(sim)
    list(api.path("ppp", "secret"))
    list(api.path("ppp", "secret"))
    api.path("ppp", "secret").add(name="budi")
    assert sim.counters["/login"] == 1
    assert sim.counters["/ppp/secret/print"] == 2
    assert sim.counters["/ppp/secret/add"] == 1
    assert sim.writes == 1
    sim.reset_counters()
    assert sim.counters == {} and sim.writes == 0
    api.close()


def test_seeding_is_not_counted_and_dump_load_round_trips(sim: SimulatedRouter) -> None:
    sim.add("/ppp/profile", {"name": "home-10m", "rate-limit": "10M/10M"})
    sim.add("/ppp/secret", {"name": "budi", "password": "x", "profile": "home-10m"})
    sim.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.2-10.20.0.254"})
    sim.add_session("budi", address="10.20.0.2")
    assert sim.writes == 0 and not sim.counters
    snapshot = json.loads(json.dumps(sim.dump()))  # a dump is plain JSON
    with SimulatedRouter(users={USER: PASSWORD}) as other:
        other.load(snapshot)
        assert other.identity == "core-kudus"
        assert other.items("/ppp/secret") == sim.items("/ppp/secret")
        assert [s["name"] for s in other.items("/ppp/active")] == ["budi"]


def test_load_then_read_over_the_api(sim: SimulatedRouter) -> None:
    sim.load(
        {
            "identity": "edge-jepara",
            "menus": {
                "/ppp/profile": [{"name": "home-20m", "rate-limit": "20M/20M"}],
                "/ppp/secret": [{"name": "siti", "password": "pw", "profile": "home-20m"}],
            },
        }
    )
    api = connect(sim)
    assert list(api.path("system", "identity")) == [{"name": "edge-jepara"}]
    assert [s["profile"] for s in api.path("ppp", "secret")] == ["home-20m"]
    api.close()


def test_bad_seed_raises_the_routeros_message(sim: SimulatedRouter) -> None:
    sim.add("/ppp/secret", {"name": "budi"})
    with pytest.raises(Trap, match="same name already exists"):
        sim.add("/ppp/secret", {"name": "budi"})
    with pytest.raises(Trap, match="unknown menu"):
        sim.load({"menus": {"/interface": []}})


def test_trap_on_login_refuses_the_connection(sim: SimulatedRouter) -> None:
    sim.faults.trap_on["/login"] = "failure: too many sessions"
    with pytest.raises(TrapError, match="too many sessions"):
        connect(sim)


def test_drop_wins_over_an_injected_trap(sim: SimulatedRouter) -> None:
    api = connect(sim)
    sim.faults.trap_on["/ppp/secret/add"] = "failure: should not be seen"
    sim.faults.drop_after_writes = 0
    with pytest.raises((ConnectionClosed, OSError)):
        api.path("ppp", "secret").add(name="budi")
    api.close()
    assert sim.items("/ppp/secret") == []
