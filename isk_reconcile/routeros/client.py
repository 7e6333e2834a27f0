"""The RouterOS API client: the only code in the project that talks to routers.

librouteros does the socket, the login and the word encoding. On top of it this module
adds what librouteros lacks:

- raw string values: librouteros turns "yes" into True and "0123"... into ints on read;
  here every value stays the exact string the router sent, so a password "yes" or
  "0123" is never confused, and `normalize` only ever sees strings;
- tagged pipelining (`.tag`): a window of commands is written in one go and the replies
  are routed back by tag, so N writes over a slow link cost N / window round trips;
- a read buffer (librouteros issues three `recv` calls per word);
- no debug logging of sentences (librouteros logs every word, passwords included).

Text encoding: words are written as strict UTF-8 and read as UTF-8 with undecodable
bytes replaced (U+FFFD), so a router holding non-UTF-8 comments (Winbox writes
cp1252) can always be read. Values the project writes are ASCII in practice (the
desired-state builder folds comments to ASCII).
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from librouteros.api import Api
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, TrapError
from librouteros.login import encode_password
from librouteros.protocol import ApiProtocol, decode_length, determine_length, encode_sentence

from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.normalize import canonical_item, to_wire
from isk_reconcile.routeros.types import (
    ACTIVE,
    POOL,
    PROFILE,
    SECRET,
    LiveItem,
    LiveState,
    RadiusConfig,
    SystemInfo,
    Write,
    WriteResult,
)
from isk_reconcile.state.model import Router

ENCODING = "utf-8"
IDENTITY = "/system/identity"
DEFAULT_WINDOW = 128  # commands in flight per round trip; small enough to never fill TCP buffers
_RECV_SIZE = 65536


class _SharedCount:
    """A thread-safe running total (round trips of every client, for the benchmark)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, amount: int) -> None:
        with self._lock:
            self.value += amount


ALL_ROUND_TRIPS = _SharedCount()


class ConnectionLost(RouterError):
    """The connection dropped while writing; `results` holds the writes that completed."""

    def __init__(
        self, router: str, message: str, results: Sequence[WriteResult] = (), reason: str = ""
    ):
        super().__init__(router, message)
        self.results: list[WriteResult] = list(results)
        # Why the connection dropped ("connection closed by the router"); the message's
        # counts are of this `execute` call only, the caller knows the whole plan's.
        self.reason = reason or message


# --- protocol layer (librouteros subclasses) ------------------------------------------------


class DeadlineExceeded(TimeoutError):
    """An operation's whole budget ran out (however slowly the router was answering)."""

    def __init__(self, operation: str, seconds: float):
        super().__init__(f"{operation} did not finish within its {seconds:g}s deadline")
        self.operation = operation
        self.seconds = seconds


class _BufferedTransport(SocketTransport):
    """librouteros' transport, reading from the socket in large chunks, every socket
    call bounded by the current operation's deadline (a monotonic instant): a router
    that trickles one byte at a time still fails when the operation's budget is spent,
    not once per byte."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._buffer = bytearray()
        self._deadline: float | None = None
        self._operation = ("", 0.0)

    def start(self, operation: str, budget: float, remaining: float | None = None) -> None:
        """Begin an operation with a total budget of `budget` seconds (of which only
        `remaining` are left, when it began earlier)."""
        self._deadline = time.monotonic() + (budget if remaining is None else remaining)
        self._operation = (operation, budget)

    def _bound(self) -> None:
        if self._deadline is None:
            return
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(*self._operation)
        self.sock.settimeout(remaining)

    def write(self, data: bytes) -> None:
        self._bound()
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise DeadlineExceeded(*self._operation) from None

    def read(self, length: int) -> bytes:
        while len(self._buffer) < length:
            self._bound()
            try:
                got = self.sock.recv(_RECV_SIZE)
            except TimeoutError:
                raise DeadlineExceeded(*self._operation) from None
            if not got:
                raise ConnectionClosed("Connection unexpectedly closed.")
            self._buffer += got
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data


class _RawProtocol(ApiProtocol):
    """librouteros' protocol without logging, decoding with replacement characters."""

    def writeSentence(self, cmd: str, *words: str) -> None:  # noqa: N802 (librouteros name)
        self.transport.write(encode_sentence(cmd, *words, encoding=self.encoding))

    def write_sentences(self, sentences: Sequence[Sequence[str]]) -> None:
        """Several sentences in one socket write."""
        data = b"".join(encode_sentence(*words, encoding=self.encoding) for words in sentences)
        self.transport.write(data)

    def readSentence(self) -> tuple[str, tuple[str, ...]]:  # noqa: N802
        sentence = tuple(iter(self.readWord, ""))
        if not sentence:
            return "", ()
        reply_word, words = sentence[0], sentence[1:]
        if reply_word == "!fatal":
            self.transport.close()
            raise FatalError(words[0] if words else "")
        return reply_word, words

    def readWord(self) -> str:  # noqa: N802
        first = self.transport.read(1)
        if first == b"\x00":
            return ""
        prefix = first + self.transport.read(determine_length(first))
        word = self.transport.read(decode_length(prefix))
        return word.decode(self.encoding, errors="replace")


def split_word(word: str) -> tuple[str, str]:
    """`=name=value` -> (name, value); `.tag=7` -> (".tag", "7"). Values stay strings."""
    if word.startswith("="):
        key, _, value = word[1:].partition("=")
        return key, value
    key, _, value = word.partition("=")
    return key, value


class _RawApi(Api):
    """librouteros' Api with string values and traps that tolerate extra words."""

    protocol: _RawProtocol

    def readSentence(self) -> tuple[str, dict[str, str]]:  # type: ignore[override]  # noqa: N802
        reply_word, words = self.protocol.readSentence()
        return reply_word, dict(split_word(word) for word in words)

    def readResponse(self) -> list[dict[str, str]]:  # type: ignore[override]  # noqa: N802
        rows: list[dict[str, str]] = []
        trap: TrapError | None = None
        reply_word = ""
        while reply_word != "!done":
            reply_word, attrs = self.readSentence()
            if reply_word == "!trap" and trap is None:
                trap = TrapError(attrs.get("message", ""), _category(attrs))
            elif reply_word in ("!re", "!done") and attrs:
                rows.append(attrs)
        if trap is not None:
            raise trap
        return rows


def _category(attrs: Mapping[str, str]) -> int | None:
    value = attrs.get("category", "")
    return int(value) if value.isdigit() else None


def _login(api: _RawApi, username: str, password: str) -> None:
    """Plain login (RouterOS >= 6.43); falls back to the challenge flow when asked for it."""
    rows = list(api.rawCmd("/login", f"=name={username}", f"=password={password}"))
    challenge = rows[0].get("ret") if rows else None
    if challenge:  # pre-6.43 router: answer the MD5 challenge instead
        response = encode_password(challenge, password)
        list(api.rawCmd("/login", f"=name={username}", f"=response={response}"))


# --- replies of a pipelined window -------------------------------------------------------


@dataclass
class _Reply:
    rows: list[dict[str, str]] = field(default_factory=list)
    trap: str | None = None
    ret: str | None = None


class _WindowBroken(Exception):
    """The connection failed while a window was in flight; completed replies are kept."""

    def __init__(self, reason: str, completed: dict[int, _Reply]):
        super().__init__(reason)
        self.reason = reason
        self.completed = completed


# --- connecting ---------------------------------------------------------------------------


def tls_context(router: Router) -> ssl.SSLContext:
    """Verify the router's certificate against `tls_ca` (or the system CAs) and its host
    name; `tls_verify: false` turns verification off, only by that explicit choice."""
    if not router.tls_verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if router.tls_ca is not None and not os.path.isfile(router.tls_ca):
        raise RouterError(router.name, f"TLS CA bundle not found: {router.tls_ca}")
    try:
        return ssl.create_default_context(cafile=router.tls_ca)
    except ssl.SSLError as problem:
        raise RouterError(
            router.name, f"TLS CA bundle {router.tls_ca} unusable: {problem.reason}"
        ) from None


def connect(
    router: Router,
    environ: Mapping[str, str] = os.environ,
    *,
    timeout: float | None = None,
    window: int = DEFAULT_WINDOW,
) -> RouterClient:
    """Open an API session to `router`, password from its environment variable."""
    variable = router.password_variable
    password = environ.get(variable)
    if password is None:
        raise RouterError(router.name, f"API password not set: export {variable}")
    if is_age_identity(password):
        # Never sent anywhere, whatever routers.yaml says (docs/security.md).
        raise RouterError(
            router.name, f"{variable} holds an age identity, not an API password: not sent"
        )
    seconds = router.timeout if timeout is None else timeout
    deadline = time.monotonic() + seconds
    host = f"[{router.host}]" if ":" in router.host else router.host
    where = f"{host}:{router.api_port}"
    wrapper = None
    if router.tls:
        wrapper = functools.partial(tls_context(router).wrap_socket, server_hostname=router.host)
    try:
        plain = _open_transport(router.host, router.api_port, seconds, wrapper)
    except ssl.SSLCertVerificationError as problem:
        raise RouterError(
            router.name, f"TLS certificate of {where} not trusted: {problem.verify_message}"
        ) from None
    except (ssl.SSLError, _HandshakeFailed) as problem:
        reason = getattr(problem, "reason", None) or str(problem)
        raise RouterError(
            router.name,
            f"TLS handshake with {where} failed: {reason} (is it the api-ssl port? "
            "the plain API port does not answer TLS)",
        ) from None
    except TimeoutError:
        raise RouterError(
            router.name, f"cannot connect to {where}: timed out after {seconds:g}s"
        ) from None
    except ConnectionRefusedError:
        raise RouterError(router.name, f"cannot connect to {where}: connection refused") from None
    except OSError as problem:
        reason = problem.strerror or str(problem)
        raise RouterError(router.name, f"cannot connect to {where}: {reason}") from None

    transport = _BufferedTransport(plain.sock)
    # Connecting and logging in share one budget: what connect() left of it.
    transport.start("connecting and logging in", seconds, deadline - time.monotonic())
    api = _RawApi(_RawProtocol(transport, ENCODING))
    try:
        _login(api, router.username, password)
    except TrapError as trap:
        transport.close()
        raise RouterError(
            router.name, f"login to {where} as {router.username!r} failed: {trap.message}"
        ) from None
    except TimeoutError:
        transport.close()
        raise RouterError(
            router.name, f"login to {where} timed out: no answer within {seconds:g}s"
        ) from None
    except (LibRouterosError, OSError) as problem:
        transport.close()
        raise RouterError(router.name, f"login to {where} failed: {_reason(problem)}") from None
    except UnicodeEncodeError:
        transport.close()
        raise RouterError(router.name, "login failed: user name or password is not text") from None
    return RouterClient(router, api, window=window, read_seconds=seconds)


def _open_transport(
    host: str,
    port: int,
    seconds: float,
    wrapper: Callable[[socket.socket], socket.socket] | None,
) -> SocketTransport:
    """TCP (and TLS) connection; the raw socket is closed when the TLS wrap fails
    (librouteros' create_transport leaks it)."""
    sock = socket.create_connection((host, port), timeout=seconds)
    if wrapper is not None:
        try:
            sock = wrapper(sock)
        except (TimeoutError, ConnectionError) as problem:
            # Connected, but no TLS came back: a plain port waits for an API sentence
            # (timed out) or drops the connection.
            sock.close()
            reason = "no answer" if isinstance(problem, TimeoutError) else "connection closed"
            raise _HandshakeFailed(reason) from None
        except BaseException:
            sock.close()
            raise
    return SocketTransport(sock=sock)


class _HandshakeFailed(Exception):
    """The TCP connection was made but the TLS handshake got no TLS answer."""


def is_age_identity(value: str) -> bool:
    """Whether `value` is (or starts like) an age private key."""
    return value.strip().upper().startswith("AGE-SECRET-KEY-")


def _reason(problem: BaseException) -> str:
    if isinstance(problem, DeadlineExceeded):
        return str(problem)
    if isinstance(problem, TimeoutError):
        return "timed out"
    if isinstance(problem, FatalError):
        return f"router closed the session: {problem}"
    if isinstance(problem, ConnectionClosed):
        return "connection closed by the router"
    if isinstance(problem, OSError):
        return problem.strerror or type(problem).__name__
    return str(problem) or type(problem).__name__


# --- the client ---------------------------------------------------------------------------


class RouterClient:
    """One logged-in API session. Not thread-safe: use one client per thread."""

    def __init__(
        self,
        router: Router,
        api: _RawApi,
        *,
        window: int = DEFAULT_WINDOW,
        read_seconds: float | None = None,
    ):
        self.router = router
        self._api = api
        # Budgets: each read gets `timeout` seconds in total; all writes of one session
        # share `apply_timeout` (the clock starts at the first write).
        self._read_seconds = router.timeout if read_seconds is None else read_seconds
        self._apply_deadline: float | None = None
        self._window = max(1, window)
        self._next_tag = 0
        self._closed = False
        # Request/response waits, login included; a pipelined window counts once.
        self.round_trips = 1
        ALL_ROUND_TRIPS.add(1)

    @property
    def name(self) -> str:
        return self.router.name

    def __repr__(self) -> str:
        return f"RouterClient({self.router.name} {self.router.host}:{self.router.api_port})"

    def __enter__(self) -> RouterClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._api.close()

    # --- reads ---

    def read(self) -> LiveState:
        """Profiles, secrets, sessions and IP pools: one print per menu, sent as one
        pipelined window (with /system/identity: a router that is not the one expected is
        an error before anything is planned or written)."""
        profiles, secrets, active, pools, identity = self._query(
            [PROFILE, SECRET, ACTIVE, POOL, IDENTITY]
        )
        self._check_identity(identity[0].get("name", "") if identity else "")
        return LiveState(
            router=self.name,
            profiles=_items(PROFILE, profiles),
            secrets=_items(SECRET, secrets),
            active=_items(ACTIVE, active),
            pools=_items(POOL, pools),
        )

    def system(self) -> SystemInfo:
        identity, resource = self._query([IDENTITY, "/system/resource"])
        ident = identity[0] if identity else {}
        res = resource[0] if resource else {}
        self._check_identity(ident.get("name", ""))
        return SystemInfo(
            identity=ident.get("name", ""),
            version=res.get("version", ""),
            uptime=res.get("uptime", ""),
        )

    def radius_config(self) -> RadiusConfig:
        """/radius, /ppp/aaa and /radius/incoming, in one pipelined window."""
        servers, aaa, incoming = self._query(["/radius", "/ppp/aaa", "/radius/incoming"])
        return RadiusConfig(
            servers=tuple(servers),
            aaa=aaa[0] if aaa else {},
            incoming=incoming[0] if incoming else {},
        )

    def _check_identity(self, found: str) -> None:
        expected = self.router.expected_identity
        if found != expected:
            self.close()
            raise RouterError(
                self.name,
                f"wrong router: {self.router.host}:{self.router.api_port} has identity "
                f"{found!r}, routers.yaml expects {expected!r} (swapped address or port? "
                "else set identity:); nothing read or written",
            )

    def _transport(self) -> _BufferedTransport:
        transport = self._api.protocol.transport
        assert isinstance(transport, _BufferedTransport)
        return transport

    def _query(self, menus: Sequence[str]) -> list[list[dict[str, str]]]:
        self._transport().start("reading", self._read_seconds)
        try:
            replies = self._exchange([(f"{menu}/print",) for menu in menus])
        except _WindowBroken as broken:
            raise RouterError(self.name, f"reading failed: {broken.reason}") from None
        for menu, reply in zip(menus, replies, strict=True):
            if reply.trap is not None:
                raise RouterError(self.name, f"{menu}/print refused: {reply.trap}")
        return [reply.rows for reply in replies]

    # --- writes ---

    def execute(
        self,
        batches: Sequence[Sequence[Write]],
        progress: Callable[[int], None] | None = None,
    ) -> list[WriteResult]:
        """Run batches in order, each pipelined in windows; a trap fails only its write."""
        results: list[WriteResult] = []
        total = sum(len(batch) for batch in batches)
        budget = self.router.apply_timeout
        if self._apply_deadline is None:
            self._apply_deadline = time.monotonic() + budget
        self._transport().start("applying", budget, self._apply_deadline - time.monotonic())
        for batch in batches:
            for start in range(0, len(batch), self._window):
                window = batch[start : start + self._window]
                sentences = [_sentence(write) for write in window]
                done_before = len(results)

                def report(completed: int, base: int = done_before) -> None:
                    if progress is not None:
                        progress(base + completed)

                try:
                    replies = self._exchange(sentences, report)
                except _WindowBroken as broken:
                    results.extend(
                        _result(window[index], broken.completed[index])
                        for index in sorted(broken.completed)
                    )
                    raise ConnectionLost(
                        self.name,
                        f"connection lost after {len(results)} of {total} writes completed "
                        f"({broken.reason})",
                        results,
                        reason=broken.reason,
                    ) from None
                results.extend(
                    _result(write, reply) for write, reply in zip(window, replies, strict=True)
                )
        return results

    def reboot(self) -> None:
        """Ask the router to reboot; it drops the connection without a reply, which is success."""
        self._transport().start("rebooting", self._read_seconds)
        try:
            replies = self._exchange([("/system/reboot",)])
        except _WindowBroken:
            self.close()
            return
        if replies[0].trap is not None:
            raise RouterError(self.name, f"reboot refused: {replies[0].trap}")
        self.close()

    # --- pipelining ---

    def _exchange(
        self,
        sentences: Sequence[Sequence[str]],
        on_reply: Callable[[int], None] | None = None,
    ) -> list[_Reply]:
        """Send the sentences tagged in one write, then collect every reply by tag.
        `on_reply(n)` is called with the number of commands completed so far."""
        if self._closed:
            raise RouterError(self.name, "connection already closed")
        if not sentences:
            return []
        tags: dict[str, int] = {}
        tagged: list[list[str]] = []
        for index, sentence in enumerate(sentences):
            self._next_tag += 1
            tag = str(self._next_tag)
            tags[tag] = index
            tagged.append([*sentence, f".tag={tag}"])
        replies = [_Reply() for _ in sentences]
        completed: dict[int, _Reply] = {}
        self.round_trips += 1
        ALL_ROUND_TRIPS.add(1)
        try:
            self._api.protocol.write_sentences(tagged)
            while len(completed) < len(sentences):
                reply_word, attrs = self._api.readSentence()
                index = tags.get(attrs.pop(".tag", ""))
                if index is None:
                    continue  # not ours (an untagged reply): nothing is waiting for it
                reply = replies[index]
                if reply_word == "!re":
                    reply.rows.append(attrs)
                elif reply_word == "!trap":
                    if reply.trap is None:
                        reply.trap = attrs.get("message", "") or "command failed"
                elif reply_word == "!done":
                    reply.ret = attrs.get("ret")
                    completed[index] = reply
                    if on_reply is not None:
                        on_reply(len(completed))
                # "!empty" (RouterOS >= 7.18, a print with no items) carries nothing.
        except (LibRouterosError, OSError) as problem:
            self.close()
            raise _WindowBroken(_reason(problem), completed) from None
        return replies


def _sentence(write: Write) -> tuple[str, ...]:
    words = (f"={key}={_wire_value(key, value)}" for key, value in write.attrs.items())
    return (f"{write.menu}/{write.command}", *words)


def _wire_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return to_wire(key, str(value))


def _result(write: Write, reply: _Reply) -> WriteResult:
    if reply.trap is not None:
        return WriteResult(write=write, ok=False, error=reply.trap)
    return WriteResult(write=write, ok=True, ret=reply.ret)


def _items(menu: str, rows: list[dict[str, str]]) -> tuple[LiveItem, ...]:
    return tuple(
        LiveItem(
            id=row.get(".id", ""),
            attrs=canonical_item({k: v for k, v in row.items() if not k.startswith(".")}),
        )
        for row in rows
    )
