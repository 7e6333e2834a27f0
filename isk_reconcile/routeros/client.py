"""The RouterOS API client: one logged-in session (`RouterClient`) that reads the menus
isk manages in one pipelined window and writes batches in windows of tagged commands
(`.tag`), so N writes over a slow link cost N / window round trips. Opening a session is
`routeros.connection.connect`; the wire layer under both is `routeros.protocol`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from librouteros.exceptions import LibRouterosError

from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.normalize import canonical_item, to_wire
from isk_reconcile.routeros.protocol import (
    BufferedTransport,
    RawApi,
    Reply,
    WindowBroken,
    failure_reason,
)
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
from isk_reconcile.state.routers import Router

IDENTITY = "/system/identity"
DEFAULT_WINDOW = 128  # commands in flight per round trip; small enough to never fill TCP buffers


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


# --- the client ---------------------------------------------------------------------------


class RouterClient:
    """One logged-in API session. Not thread-safe: use one client per thread."""

    def __init__(
        self,
        router: Router,
        api: RawApi,
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

    def _transport(self) -> BufferedTransport:
        transport = self._api.protocol.transport
        assert isinstance(transport, BufferedTransport)
        return transport

    def _query(self, menus: Sequence[str]) -> list[list[dict[str, str]]]:
        self._transport().start("reading", self._read_seconds)
        try:
            replies = self._exchange([(f"{menu}/print",) for menu in menus])
        except WindowBroken as broken:
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
                except WindowBroken as broken:
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
        except WindowBroken:
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
    ) -> list[Reply]:
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
        replies = [Reply() for _ in sentences]
        completed: dict[int, Reply] = {}
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
            raise WindowBroken(failure_reason(problem), completed) from None
        return replies


def _sentence(write: Write) -> tuple[str, ...]:
    words = (f"={key}={_wire_value(key, value)}" for key, value in write.attrs.items())
    return (f"{write.menu}/{write.command}", *words)


def _wire_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return to_wire(key, str(value))


def _result(write: Write, reply: Reply) -> WriteResult:
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
