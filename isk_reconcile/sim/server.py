"""The simulated router: a threaded TCP server speaking the RouterOS API.

One `RouterState` per server, guarded by one lock; one reader and one writer thread
per connection. Commands run in arrival order as soon as they are read; each reply is
scheduled `latency_ms` after its command arrived, so the reader never waits for the
network and K pipelined (tagged) commands cost about one latency, while K sequential
commands cost K latencies because the client waits for each reply.
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


@dataclass
class _Reply:
    due: float  # time.monotonic() at which it may be sent
    data: bytes
    tag: str | None
    close_after: bool = False


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
        stream = self.sock.makefile("rb", buffering=65536)
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
                    self._cancel(request, due)
                    continue
                outcome = self._handle(request)
                if outcome.then == "reboot":
                    LOG.info("%s: /system/reboot", self.peer)
                    self.router.reboot(initiator=self)
                    return
                if outcome.then == "drop":
                    LOG.info("%s: dropping the connection (fault injection)", self.peer)
                    break
                self._schedule(due, outcome.sentences, request.tag, outcome.then == "close")
                if outcome.then == "close":
                    return
        except ProtocolViolation as problem:
            LOG.info("%s: protocol violation: %s", self.peer, problem)
            self.abort()
        except (OSError, EOFError, ValueError):
            pass
        finally:
            stream.close()
            self._schedule(time.monotonic(), [], None, close_after=True)

    def _handle(self, request: Request) -> Outcome:
        try:
            return self.session.handle(request)
        except Exception:  # a simulator bug: answer it, so the client does not hang
            LOG.exception("%s: internal error on %s", self.peer, request.command)
            message = "failure: simulator internal error (see its log)"
            tag = request.tag
            return Outcome([trap_sentence(message, 4, tag), done_sentence(tag)])

    def _delay(self) -> float:
        return max(0.0, float(self.router.faults.latency_ms)) / 1000.0

    def _schedule(
        self, due: float, sentences: list[list[str]], tag: str | None, close_after: bool = False
    ) -> None:
        data = b"".join(encode_sentence(words) for words in sentences)
        if close_after:
            due = max(due, self._last_due)  # close only after every reply already scheduled
        reply = _Reply(due=due, data=data, tag=tag, close_after=close_after)
        with self._ready:
            if self._aborted:
                return
            self._last_due = max(self._last_due, due)
            self._outbox.append(reply)
            if tag is not None:
                self._pending[tag] = reply
            self._ready.notify()

    def _cancel(self, request: Request, due: float) -> None:
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
        self._schedule(due, [done_sentence(request.tag)], request.tag)

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
                while self._outbox and self._outbox[0].due <= now:
                    reply = self._outbox.popleft()
                    if reply.tag is not None and self._pending.get(reply.tag) is reply:
                        del self._pending[reply.tag]
                    batch.append(reply.data)
                    if reply.close_after:
                        closing = True
                        break
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

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}"
        return f"SimulatedRouter({self.identity!r} on {where}, RouterOS {self.version})"
