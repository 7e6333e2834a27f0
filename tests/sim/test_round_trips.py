"""Round trips measured at the router: a reply sent while no further command was pending
is one the client had to wait for (docs/simulator.md).

Raw-socket clients pin the measure itself (a waiting client, a pipelining one); the
project's RouterOS client is then held to it, so a client that stops pipelining fails
here whatever its own bookkeeping says.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from isk_reconcile.routeros.connection import connect
from isk_reconcile.routeros.types import SECRET, Write
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.routers import Router

USER, PASSWORD = "isk-api", "s3cret-api"
ENV = {"ISK_ROUTER_TEST_ROUND_TRIPS_PASSWORD": PASSWORD}


def sentence(*words: str) -> bytes:
    out = b""
    for text in words:
        data = text.encode()
        assert len(data) < 0x80
        out += bytes([len(data)]) + data
    return out + b"\x00"


class Raw:
    """A hand-written API client: it decides exactly when it waits."""

    def __init__(self, sim: SimulatedRouter) -> None:
        self.sock = socket.create_connection((sim.host, sim.port), timeout=10)
        self.stream = self.sock.makefile("rb")

    def read(self) -> list[str]:
        words = []
        while length := self.stream.read(1)[0]:
            words.append(self.stream.read(length).decode())
        return words

    def send(self, *sentences: bytes) -> None:
        self.sock.sendall(b"".join(sentences))

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    with SimulatedRouter(identity="r1", users={USER: PASSWORD}) as router:
        yield router


@pytest.fixture
def raw(sim: SimulatedRouter) -> Iterator[Raw]:
    client = Raw(sim)
    client.send(sentence("/login", f"=name={USER}", f"=password={PASSWORD}"))
    assert client.read() == ["!done"]
    yield client
    client.close()


def add(number: int, tag: bool = True) -> bytes:
    words = ["/ppp/secret/add", f"=name=u{number}"]
    return sentence(*words, *([f".tag={number}"] if tag else []))


def test_a_client_that_waits_for_each_reply_makes_one_round_trip_per_command(
    sim: SimulatedRouter, raw: Raw
) -> None:
    assert sim.round_trips == 1  # the login
    for number in range(20):
        raw.send(add(number, tag=False))
        assert raw.read() == ["!done", f"=ret=*{number + 1:X}"]
    assert sim.round_trips == 21
    assert sim.counters["round-trips"] == 21
    assert sim.connection_round_trips() == [21]


def test_a_pipelined_burst_is_one_round_trip(sim: SimulatedRouter, raw: Raw) -> None:
    raw.send(*(add(number) for number in range(200)))
    replies = [raw.read() for _ in range(200)]
    assert all(reply[0] == "!done" for reply in replies)
    assert sim.writes == 200
    assert sim.round_trips == 2  # the login, then the burst


def test_a_burst_sent_before_the_last_reply_arrived_adds_no_round_trip(
    sim: SimulatedRouter, raw: Raw
) -> None:
    """The second window goes out while the first is still unanswered (replies held back
    by latency): the client never waited in between."""
    sim.faults.latency_ms = 300
    raw.send(*(add(number) for number in range(50)))
    raw.send(*(add(number) for number in range(50, 100)))
    replies = [raw.read() for _ in range(100)]
    assert [reply[-1] for reply in replies] == [f".tag={n}" for n in range(100)]
    assert sim.round_trips == 2


def test_counters_reset_and_each_connection_is_counted_alone(sim: SimulatedRouter) -> None:
    first, second = Raw(sim), Raw(sim)
    try:
        for client in (first, second):
            client.send(sentence("/login", f"=name={USER}", f"=password={PASSWORD}"))
            assert client.read() == ["!done"]
        sim.reset_counters()
        assert sim.round_trips == 0 and sim.counters == {}
        for number in range(3):
            first.send(add(number, tag=False))
            first.read()
        assert sim.round_trips == 3
        assert sorted(sim.connection_round_trips()) == [1, 4]  # since each one opened
    finally:
        first.close()
        second.close()


# --- the project's client, measured at the router ------------------------------------------


def router_for(sim: SimulatedRouter) -> Router:
    return Router(
        name="r1",
        host="127.0.0.1",
        port=sim.port,
        username=USER,
        password_env="ISK_ROUTER_TEST_ROUND_TRIPS_PASSWORD",
        timeout=10,
    )


def test_the_client_reads_a_router_in_one_round_trip(sim: SimulatedRouter) -> None:
    for number in range(300):
        sim.add(SECRET, {"name": f"c{number}", "password": "pw"})
    with connect(router_for(sim), ENV) as client:
        sim.reset_counters()
        live = client.read()
        assert sim.round_trips == 1
    assert len(live.secrets) == 300


@pytest.mark.parametrize("latency_ms", [0, 20])
def test_the_client_pipelines_writes_in_windows(sim: SimulatedRouter, latency_ms: int) -> None:
    writes = [
        Write(SECRET, "add", {"name": f"c{number:03d}", "password": "pw"}, f"c{number:03d}")
        for number in range(300)
    ]
    sim.faults.latency_ms = latency_ms
    with connect(router_for(sim), ENV, window=100) as client:
        sim.reset_counters()
        results = client.execute([writes])
        assert sim.round_trips == 3  # three windows of 100
    assert all(result.ok for result in results)
    assert sim.writes == 300
