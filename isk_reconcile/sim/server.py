"""The simulated router: a threaded TCP server speaking the RouterOS API.

One `RouterState` per server, guarded by one lock; one reader and one writer thread
per connection. Commands run in arrival order as soon as they are read; each reply is
scheduled `latency_ms` after its command arrived, so the reader never waits for the
network and K pipelined (tagged) commands cost about one latency, while K sequential
commands cost K latencies because the client waits for each reply.

Round trips are measured here, at the router, not by the client: a reply sent while no
further command was pending (none read and unanswered, no unread bytes from the client)
leaves the client nothing to do but wait for it and then send again. Each such reply
counts one round trip for its connection (`SimulatedRouter.round_trips`, and the
"round-trips" entry of `counters`), so a client that stops pipelining shows up as one
round trip per command.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from isk_reconcile.errors import IskError
from isk_reconcile.sim.codec import ProtocolViolation, SentenceReader, encode_sentence
from isk_reconcile.sim.faults import Faults
from isk_reconcile.sim.menus import ACTIVE
from isk_reconcile.sim.sentences import Request, done_sentence, parse_request, trap_sentence
from isk_reconcile.sim.session import ApiSession, Outcome
from isk_reconcile.sim.state import RouterState

LOG = logging.getLogger("isk_reconcile.sim")

LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
_ACCEPT_POLL_SECONDS = 0.2
_RECV_SIZE = 65536
ROUND_TRIPS = "round-trips"  # the counters entry (commands are spelled "/menu/verb")


@dataclass
class _Reply:
    due: float  # time.monotonic() at which it may be sent
    data: bytes
    tag: str | None
    close_after: bool = False
    # No further command from the client was waiting when this reply's command was read.
    last_of_burst: bool = False


class _Input:
    """The client's byte stream, buffered, able to tell whether more bytes have already
    arrived (in the buffer or in the socket) without waiting for them."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._at = 0

    def read(self, count: int) -> bytes:
        while len(self._buffer) - self._at < count:
            chunk = self._sock.recv(_RECV_SIZE)
            if not chunk:
                break
            if self._at:
                del self._buffer[: self._at]
                self._at = 0
            self._buffer += chunk
        data = bytes(self._buffer[self._at : self._at + count])
        self._at += len(data)
        return data

    def has_more(self) -> bool:
        if self._at < len(self._buffer):
            return True
        try:
            return bool(self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except OSError:  # BlockingIOError: nothing there
            return False


class _Connection:
    """One client socket: reads and executes commands, sends replies when they are due."""

    def __init__(self, router: SimulatedRouter, sock: socket.socket, peer: str):
        self.router = router
        self.sock = sock
        self.peer = peer
        self.session = ApiSession(router)
        self._outbox: deque[_Reply] = deque()
        self._pending: dict[str, _Reply] = {}  # tag -> its reply, until sent
        self._ready = threading.Condition()
        self._aborted = False
        self._last_due = 0.0
        self.round_trips = 0  # replies the client had to wait for (see the module docstring)
        self._reader = threading.Thread(
            target=self._read_loop, name=f"sim-read-{peer}", daemon=True
        )
        self._writer = threading.Thread(
            target=self._write_loop, name=f"sim-write-{peer}", daemon=True
        )

    def start(self) -> None:
        self._reader.start()
        self._writer.start()

    # ----------------------------------------------------------------- reading
    def _read_loop(self) -> None:
        stream = _Input(self.sock)
        reader = SentenceReader(stream)
        try:
            while True:
                words = reader.read_sentence()
                if words is None:
                    break
                # The latency in force when a command arrives decides when it is answered.
                due = time.monotonic() + self._delay()
                request = parse_request(words)
                LOG.debug("%s: %s %s", self.peer, request.command, sorted(request.attrs))
                if request.command == "/cancel":
                    self._cancel(request, due, last_of_burst=not stream.has_more())
                    continue
                outcome = self._handle(request)
                if outcome.then == "reboot":
                    LOG.info("%s: /system/reboot", self.peer)
                    self.router.reboot(initiator=self)
                    return
                if outcome.then == "drop":
                    LOG.info("%s: dropping the connection (fault injection)", self.peer)
                    break
                if request.command.endswith("/print") and not self._held():
                    break
                self._schedule(
                    due,
                    outcome.sentences,
                    request.tag,
                    outcome.then == "close",
                    last_of_burst=not stream.has_more(),
                )
                if outcome.then == "close":
                    return
        except ProtocolViolation as problem:
            LOG.info("%s: protocol violation: %s", self.peer, problem)
            self.abort()
        except (OSError, EOFError, ValueError):
            pass
        finally:
            self._schedule(time.monotonic(), [], None, close_after=True)

    def _handle(self, request: Request) -> Outcome:
        try:
            return self.session.handle(request)
        except Exception:  # a simulator bug: answer it, so the client does not hang
            LOG.exception("%s: internal error on %s", self.peer, request.command)
            message = "failure: simulator internal error (see its log)"
            tag = request.tag
            return Outcome([trap_sentence(message, 4, tag), done_sentence(tag)])

    def _held(self) -> bool:
        """Wait while `faults.hold` is unset (see Faults); False when closed meanwhile."""
        while (gate := self.router.faults.hold) is not None and not gate.wait(0.05):
            if self._aborted:
                return False
        return True

    def _delay(self) -> float:
        return max(0.0, float(self.router.faults.latency_ms)) / 1000.0

    def _schedule(
        self,
        due: float,
        sentences: list[list[str]],
        tag: str | None,
        close_after: bool = False,
        *,
        last_of_burst: bool = False,
    ) -> None:
        data = b"".join(encode_sentence(words) for words in sentences)
        if close_after:
            due = max(due, self._last_due)  # close only after every reply already scheduled
        reply = _Reply(due, data, tag, close_after, last_of_burst and bool(data))
        with self._ready:
            if self._aborted:
                return
            self._last_due = max(self._last_due, due)
            self._outbox.append(reply)
            if tag is not None:
                self._pending[tag] = reply
            self._ready.notify()

    def _cancel(self, request: Request, due: float, *, last_of_burst: bool) -> None:
        """`/cancel =tag=x`: its reply, if not yet sent, becomes `interrupted` (no tag: all)."""
        with self.router.lock:
            self.router.counters[request.command] += 1
        target = request.attrs.get("tag")
        if self.session.user is not None:
            with self._ready:
                tags = [target] if target is not None else list(self._pending)
                for tag in tags:
                    reply = self._pending.pop(tag, None) if tag is not None else None
                    if reply is not None:
                        reply.data = encode_sentence(
                            trap_sentence("interrupted", 2, tag)
                        ) + encode_sentence(done_sentence(tag))
                        reply.due = min(reply.due, due)  # interrupted now, not later
        self._schedule(due, [done_sentence(request.tag)], request.tag, last_of_burst=last_of_burst)

    # ----------------------------------------------------------------- writing
    def _write_loop(self) -> None:
        while True:
            with self._ready:
                while True:
                    if self._aborted:
                        return
                    if self._outbox:
                        wait = self._outbox[0].due - time.monotonic()
                        if wait <= 0:
                            break
                        self._ready.wait(wait)
                    else:
                        self._ready.wait()
                now = time.monotonic()
                batch: list[bytes] = []
                closing = False
                reply: _Reply | None = None
                while self._outbox and self._outbox[0].due <= now:
                    reply = self._outbox.popleft()
                    if reply.tag is not None and self._pending.get(reply.tag) is reply:
                        del self._pending[reply.tag]
                    batch.append(reply.data)
                    if reply.close_after:
                        closing = True
                        break
                waited = reply is not None and not self._outbox and reply.last_of_burst
            if waited:  # counted before the reply leaves: a client that read it sees it counted
                self.round_trips += 1
                self.router._count_round_trip()
            try:
                if batch:
                    self.sock.sendall(b"".join(batch))
            except OSError:
                self.abort()
                return
            if closing:
                self.abort()
                return

    # ----------------------------------------------------------------- closing
    def abort(self) -> None:
        """Close now; replies not yet sent are lost (as on a real dropped link)."""
        with self._ready:
            if self._aborted:
                return
            self._aborted = True
            self._ready.notify_all()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.router._forget(self)
        LOG.debug("%s: closed", self.peer)

    def join(self, timeout: float) -> None:
        for thread in (self._reader, self._writer):
            if thread is not threading.current_thread():
                thread.join(timeout)


class SimulatedRouter:
    """A RouterOS API server on loopback, with test controls (see docs/simulator.md)."""

    def __init__(
        self,
        identity: str = "MikroTik",
        users: Mapping[str, str | None] | None = None,
        version: str = "7.16.2",
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
    ):
        if host not in LOOPBACK_HOSTS:
            raise IskError(f"the simulator only listens on loopback (127.0.0.1 or ::1), not {host}")
        self.host = LOOPBACK_HOSTS[host]
        self.port = port
        # name -> password; None accepts any password for that name.
        self.users: dict[str, str | None] = dict(users) if users is not None else {"admin": ""}
        self.state = RouterState(identity=identity, version=version)
        self.faults = Faults(latency_ms=latency_ms)
        self.counters: Counter[str] = Counter()
        self.writes = 0
        self.lock = threading.RLock()
        self._connections: set[_Connection] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> SimulatedRouter:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            listener = socket.create_server((self.host, self.port), family=family, backlog=128)
        except OSError as problem:
            raise IskError(
                f"{self.identity}: cannot listen on {self.host}:{self.port}: {problem.strerror}"
            ) from None
        listener.settimeout(_ACCEPT_POLL_SECONDS)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"sim-accept-{self.port}", daemon=True
        )
        self._acceptor.start()
        LOG.info("%s listening on %s:%s", self.identity, self.host, self.port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
            self._listener.close()
        if self._acceptor is not None:
            self._acceptor.join(5)
        connections = self._drop_all()
        for connection in connections:
            connection.join(5)

    def __enter__(self) -> SimulatedRouter:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(self, sock, f"{address[0]}:{address[1]}")
            with self.lock:
                if self._stopping.is_set():
                    sock.close()
                    return
                self._connections.add(connection)
            connection.start()

    def _forget(self, connection: _Connection) -> None:
        with self.lock:
            self._connections.discard(connection)

    def _drop_all(self, last: _Connection | None = None) -> list[_Connection]:
        with self.lock:
            connections = [c for c in self._connections if c is not last]
        # The initiator goes last: once its client sees the drop, every other has dropped too.
        for connection in [*connections, *([last] if last is not None else [])]:
            connection.abort()
        return connections

    def reboot(self, initiator: _Connection | None = None) -> None:
        """What `/system/reboot` does: every connection drops, sessions end, uptime restarts."""
        with self.lock:
            self.state.reboot()
        self._drop_all(last=initiator)

    @property
    def connection_count(self) -> int:
        with self.lock:
            return len(self._connections)

    # ----------------------------------------------------------------- state
    @property
    def identity(self) -> str:
        return self.state.identity

    @property
    def version(self) -> str:
        return self.state.version

    def load(self, snapshot: Mapping[str, Any]) -> None:
        with self.lock:
            self.state.load(snapshot)

    def dump(self) -> dict:
        with self.lock:
            return self.state.dump()

    def add(self, menu: str, attrs: Mapping[str, Any]) -> str:
        """Seed one item directly (not counted as an API write); returns its `.id`."""
        with self.lock:
            return self.state.seed(menu, attrs)

    def items(self, menu: str) -> list[dict[str, str]]:
        with self.lock:
            return self.state.items(menu)

    def add_session(
        self, name: str, address: str = "", caller_id: str = "", service: str = "pppoe"
    ) -> str:
        """A live PPPoE client: a `/ppp/active` entry."""
        attrs = {"name": name, "service": service}
        if caller_id:
            attrs["caller-id"] = caller_id
        if address:
            attrs["address"] = address
        with self.lock:
            return self.state.seed(ACTIVE, attrs)

    def reset_counters(self) -> None:
        with self.lock:
            self.counters.clear()
            self.writes = 0

    def _count_round_trip(self) -> None:
        with self.lock:
            self.counters[ROUND_TRIPS] += 1

    @property
    def round_trips(self) -> int:
        """Round trips of every connection since the last `reset_counters`: replies the
        client had to wait for before it could send its next command."""
        with self.lock:
            return self.counters[ROUND_TRIPS]

    def connection_round_trips(self) -> list[int]:
        """Round trips of each open connection (since it opened), in no set order."""
        with self.lock:
            return [connection.round_trips for connection in self._connections]

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}"
        return f"SimulatedRouter({self.identity!r} on {where}, RouterOS {self.version})"
