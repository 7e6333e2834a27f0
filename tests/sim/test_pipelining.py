"""Raw-socket clients: tagged pipelining, /cancel, the 5-byte length form, reply tags.

The wire encoding here is written out by hand, independently of `sim.codec`, so the
simulator is checked against the protocol text rather than against itself.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from isk_reconcile.sim import SimulatedRouter

USER, PASSWORD = "isk-api", "s3cret"


def word(text: str, five_byte: bool = False) -> bytes:
    data = text.encode()
    if five_byte:
        return b"\xf0" + len(data).to_bytes(4, "big") + data
    assert len(data) < 0x4000
    prefix = bytes([len(data)]) if len(data) < 0x80 else (len(data) | 0x8000).to_bytes(2, "big")
    return prefix + data


def sentence(*words: str, five_byte: bool = False) -> bytes:
    return b"".join(word(text, five_byte) for text in words) + b"\x00"


class RawClient:
    def __init__(self, sim: SimulatedRouter):
        self.sock = socket.create_connection((sim.host, sim.port), timeout=10)
        self.stream = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_length(self) -> int:
        first = self.stream.read(1)
        if not first:
            raise EOFError
        value = first[0]
        if value < 0x80:
            return value
        if value < 0xC0:
            return ((value & 0x3F) << 8) | self.stream.read(1)[0]
        if value < 0xE0:
            return int.from_bytes(bytes([value & 0x1F]) + self.stream.read(2), "big")
        if value < 0xF0:
            return int.from_bytes(bytes([value & 0x0F]) + self.stream.read(3), "big")
        return int.from_bytes(self.stream.read(4), "big")

    def read(self) -> list[str]:
        words = []
        while length := self._read_length():
            words.append(self.stream.read(length).decode())
        return words

    def login(self) -> None:
        self.send(sentence("/login", f"=name={USER}", f"=password={PASSWORD}"))
        assert self.read() == ["!done"]

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def sim() -> Iterator[SimulatedRouter]:
    with SimulatedRouter(identity="core-kudus", users={USER: PASSWORD}) as router:
        yield router


@pytest.fixture
def client(sim: SimulatedRouter) -> Iterator[RawClient]:
    raw = RawClient(sim)
    raw.login()
    yield raw
    raw.close()


def tag_of(words: list[str]) -> str | None:
    tags = [w[len(".tag=") :] for w in words if w.startswith(".tag=")]
    return tags[0] if tags else None


def test_five_byte_length_form_is_understood(client: RawClient) -> None:
    client.send(sentence("/system/identity/print", five_byte=True))
    assert client.read() == ["!re", "=name=core-kudus"]
    assert client.read() == ["!done"]


def test_pipelined_tagged_commands_each_get_their_tag(
    sim: SimulatedRouter, client: RawClient
) -> None:
    burst = b"".join(
        sentence("/ppp/secret/add", f"=name=user{n}", "=password=pw", f".tag={n}")
        for n in range(1000)
    )
    burst += sentence("/ppp/secret/add", "=name=user0", ".tag=dup")
    client.send(burst)
    replies = [client.read() for _ in range(1000)]
    assert all(r[0] == "!done" for r in replies)
    assert sorted(int(tag_of(r) or -1) for r in replies) == list(range(1000))
    assert all(any(w.startswith("=ret=*") for w in r) for r in replies)
    trap, done = client.read(), client.read()
    assert trap[0] == "!trap" and tag_of(trap) == "dup" and tag_of(done) == "dup"
    assert "=message=failure: secret with the same name already exists" in trap
    assert len(sim.items("/ppp/secret")) == 1000
    assert sim.writes == 1000


def test_untagged_replies_carry_no_tag(sim: SimulatedRouter, client: RawClient) -> None:
    sim.add("/ppp/secret", {"name": "budi"})
    client.send(sentence("/ppp/secret/print"))
    replies = [client.read(), client.read()]
    client.send(sentence("/ppp/secret/remove", "=.id=*99"))
    replies += [client.read(), client.read()]
    assert [r[0] for r in replies] == ["!re", "!done", "!trap", "!done"]
    assert all(tag_of(r) is None for r in replies)


def test_trap_has_only_message_and_category(client: RawClient) -> None:
    client.send(sentence("/ppp/secret/add", "=name=x", "=profile=nope", ".tag=t"))
    trap = client.read()
    assert trap[0] == "!trap"
    assert {w.split("=")[1] for w in trap[1:] if w.startswith("=")} <= {"message", "category"}
    assert client.read() == ["!done", ".tag=t"]


def test_empty_reply_is_tagged_in_7_18_mode() -> None:
    with SimulatedRouter(users={USER: PASSWORD}, version="7.18") as sim:
        client = RawClient(sim)
        client.login()
        client.send(sentence("/ppp/secret/print", ".tag=e"))
        assert client.read() == ["!empty", ".tag=e"]
        assert client.read() == ["!done", ".tag=e"]
        client.close()


def test_no_empty_reply_before_7_18(client: RawClient) -> None:
    client.send(sentence("/ppp/secret/print", ".tag=e"))
    assert client.read() == ["!done", ".tag=e"]


def test_cancel_interrupts_a_reply_still_in_flight(sim: SimulatedRouter, client: RawClient) -> None:
    sim.faults.latency_ms = 30000  # the print's reply is held back long enough to cancel it
    client.send(sentence("/ppp/profile/print", ".tag=slow"))
    while sim.counters["/ppp/profile/print"] == 0:
        time.sleep(0.01)
    sim.faults.latency_ms = 0
    client.send(sentence("/cancel", "=tag=slow", ".tag=c"))
    # Replies leave in order, so the cancelled print's answer comes first, and at once.
    assert client.read() == ["!trap", "=category=2", "=message=interrupted", ".tag=slow"]
    assert client.read() == ["!done", ".tag=slow"]
    assert client.read() == ["!done", ".tag=c"]
    assert sim.counters["/cancel"] == 1


def test_legacy_login_test_vector() -> None:
    from isk_reconcile.sim.session import legacy_response

    assert legacy_response("passTest", bytes.fromhex("abc123")) == (
        "0021277bff9ac7caf06aa608e46616d47f"
    )


def test_quit_ends_the_session_with_fatal(client: RawClient) -> None:
    client.send(sentence("/quit"))
    assert client.read() == ["!fatal", "session terminated on request"]
    with pytest.raises(EOFError):
        client.read()


def test_pipelined_replies_overlap_their_latency(sim: SimulatedRouter, client: RawClient) -> None:
    """Commands run on arrival; their replies wait. Checked by order of events, not speed."""
    latency_seconds = 1.5
    sim.faults.latency_ms = latency_seconds * 1000
    started = time.monotonic()
    client.send(
        b"".join(sentence("/ppp/secret/add", f"=name=u{n}", f".tag={n}") for n in range(50))
    )
    while sim.writes < 50:  # every command is applied before any reply may be sent
        time.sleep(0.01)
    client.sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.sock.recv(1, socket.MSG_PEEK)
    client.sock.setblocking(True)
    replies = [client.read() for _ in range(50)]
    assert [tag_of(r) for r in replies] == [str(n) for n in range(50)]
    assert time.monotonic() - started >= latency_seconds


def test_pipelined_writes_apply_in_order(sim: SimulatedRouter, client: RawClient) -> None:
    client.send(
        sentence("/ppp/secret/add", "=name=budi", ".tag=1")
        + sentence("/ppp/secret/set", "=.id=budi", "=name=budi2", ".tag=2")
        + sentence("/ppp/secret/disable", "=.id=budi2", ".tag=3")
        + sentence("/ppp/secret/print", "=.proplist=name,disabled", ".tag=4")
        + sentence("/ppp/secret/remove", "=.id=budi2", ".tag=5")
    )
    replies = [client.read() for _ in range(6)]
    assert [r[0] for r in replies] == ["!done", "!done", "!done", "!re", "!done", "!done"]
    assert replies[3] == ["!re", "=name=budi2", "=disabled=true", ".tag=4"]
    assert sim.items("/ppp/secret") == []


def test_a_reserved_length_byte_closes_the_connection(client: RawClient) -> None:
    client.send(b"\xf8garbage")
    with pytest.raises((EOFError, ConnectionError)):
        client.read()


def test_identity_can_be_set_and_count_only(sim: SimulatedRouter, client: RawClient) -> None:
    client.send(sentence("/system/identity/set", "=name=core-demak"))
    assert client.read() == ["!done"]
    assert sim.identity == "core-demak"
    sim.add("/ppp/secret", {"name": "budi"})
    client.send(sentence("/ppp/secret/print", "=count-only="))
    assert client.read() == ["!done", "=ret=1"]


def test_sessions_cannot_be_added_over_the_api(client: RawClient) -> None:
    client.send(sentence("/ppp/active/add", "=name=fake"))
    assert client.read() == ["!trap", "=category=0", "=message=no such command"]
    assert client.read() == ["!done"]


def test_concurrent_pipelined_bursts_from_several_connections(sim: SimulatedRouter) -> None:
    import threading

    def burst(prefix: str, results: list[list[str]]) -> None:
        raw = RawClient(sim)
        raw.login()
        raw.send(
            b"".join(
                sentence("/ppp/secret/add", f"=name={prefix}{n}", f".tag={n}") for n in range(200)
            )
        )
        results.extend(raw.read() for _ in range(200))
        raw.close()

    results: dict[str, list[list[str]]] = {prefix: [] for prefix in "abcd"}
    threads = [threading.Thread(target=burst, args=(p, results[p])) for p in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [w for replies in results.values() for r in replies for w in r if w.startswith("=ret=")]
    assert len(ids) == len(set(ids)) == 800
    assert len(sim.items("/ppp/secret")) == 800
    assert sim.counters["/ppp/secret/add"] == 800
