"""The RouterOS API wire layer: librouteros, with what it lacks added on top.

librouteros does the socket, the login and the word encoding. On top of it this module
adds:

- raw string values: librouteros turns "yes" into True and "0123"... into ints on read;
  here every value stays the exact string the router sent, so a password "yes" or
  "0123" is never confused, and `normalize` only ever sees strings;
- a read buffer (librouteros issues three `recv` calls per word), every socket call
  bounded by the operation's deadline;
- no debug logging of sentences (librouteros logs every word, passwords included).

Text encoding: words are written as strict UTF-8 and read as UTF-8 with undecodable
bytes replaced (U+FFFD), so a router holding non-UTF-8 comments (Winbox writes
cp1252) can always be read. Values the project writes are ASCII in practice (the
desired-state builder folds comments to ASCII).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from librouteros.api import Api
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, ProtocolError, TrapError
from librouteros.protocol import ApiProtocol, encode_sentence

ENCODING = "utf-8"
_RECV_SIZE = 65536


# --- protocol layer (librouteros subclasses) ------------------------------------------------


class DeadlineExceeded(TimeoutError):
    """An operation's whole budget ran out (however slowly the router was answering)."""

    def __init__(self, operation: str, seconds: float):
        super().__init__(f"{operation} did not finish within its {seconds:g}s deadline")
        self.operation = operation
        self.seconds = seconds


class BufferedTransport(SocketTransport):
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
        self._fill(length)
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data

    def _fill(self, length: int) -> None:
        """Receive until at least `length` bytes are buffered."""
        while len(self._buffer) < length:
            self._bound()
            try:
                got = self.sock.recv(_RECV_SIZE)
            except TimeoutError:
                raise DeadlineExceeded(*self._operation) from None
            if not got:
                raise ConnectionClosed("Connection unexpectedly closed.")
            self._buffer += got

    def read_sentence(self, encoding: str) -> list[str]:
        """The words of one sentence, decoded (undecodable bytes replaced), parsed straight
        from the buffer: reading a print of thousands of entries word by word through
        `read` (three calls per word) cost more CPU than the router's answer took to
        arrive (bench/run.py, `fleet`)."""
        words: list[str] = []
        buffer, at = self._buffer, 0
        end = len(buffer)
        try:
            while True:
                if at >= end:
                    self._fill(at + 1)
                    end = len(buffer)
                first = buffer[at]
                if first < 0x80:  # almost every word: a one-byte prefix
                    length = first
                    at += 1
                else:
                    size = _PREFIX_SIZE[first >> 3]
                    if size == 0:
                        raise ProtocolError(f"reserved length prefix 0x{first:02x}")
                    if at + size > end:
                        self._fill(at + size)
                        end = len(buffer)
                    length = _word_length(buffer, at, size)
                    at += size
                if length == 0:
                    return words
                stop = at + length
                if stop > end:
                    self._fill(stop)
                    end = len(buffer)
                words.append(buffer[at:stop].decode(encoding, errors="replace"))
                at = stop
        finally:
            del buffer[:at]  # a sentence cut short by a failure is not read again


# Bytes of a word's length prefix, by the prefix's first byte >> 3 (ROUTEROS.md): 0x00-0x7F
# one, 0x80-0xBF two, 0xC0-0xDF three, 0xE0-0xEF four, 0xF0-0xF7 five, 0xF8-0xFF reserved.
_PREFIX_SIZE = bytes([1] * 16 + [2] * 8 + [3] * 4 + [4] * 2 + [5] + [0])
_PREFIX_MASK = {1: 0x7F, 2: 0x3FFF, 3: 0x1FFFFF, 4: 0xFFFFFFF}


def _word_length(buffer: bytearray, at: int, size: int) -> int:
    if size == 1:
        return buffer[at]
    if size == 5:
        return int.from_bytes(buffer[at + 1 : at + 5], "big")
    return int.from_bytes(buffer[at : at + size], "big") & _PREFIX_MASK[size]


class RawProtocol(ApiProtocol):
    """librouteros' protocol without logging, decoding with replacement characters."""

    def writeSentence(self, cmd: str, *words: str) -> None:  # noqa: N802 (librouteros name)
        self.transport.write(encode_sentence(cmd, *words, encoding=self.encoding))

    def write_sentences(self, sentences: Sequence[Sequence[str]]) -> None:
        """Several sentences in one socket write."""
        data = b"".join(encode_sentence(*words, encoding=self.encoding) for words in sentences)
        self.transport.write(data)

    def readSentence(self) -> tuple[str, tuple[str, ...]]:  # noqa: N802
        transport = self.transport
        assert isinstance(transport, BufferedTransport)
        sentence = transport.read_sentence(self.encoding)
        if not sentence:
            return "", ()
        reply_word, words = sentence[0], tuple(sentence[1:])
        if reply_word == "!fatal":
            self.transport.close()
            raise FatalError(words[0] if words else "")
        return reply_word, words


def split_word(word: str) -> tuple[str, str]:
    """`=name=value` -> (name, value); `.tag=7` -> (".tag", "7"). Values stay strings."""
    if word.startswith("="):
        key, _, value = word[1:].partition("=")
        return key, value
    key, _, value = word.partition("=")
    return key, value


class RawApi(Api):
    """librouteros' Api with string values and traps that tolerate extra words."""

    protocol: RawProtocol

    def readSentence(self) -> tuple[str, dict[str, str]]:  # type: ignore[override]  # noqa: N802
        reply_word, words = self.protocol.readSentence()
        attrs: dict[str, str] = {}
        for word in words:  # split_word, inline: a print of thousands of entries
            if word[:1] == "=":
                key, _, value = word[1:].partition("=")
            else:
                key, _, value = word.partition("=")
            attrs[key] = value
        return reply_word, attrs

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


# --- replies of a pipelined window -------------------------------------------------------


@dataclass
class Reply:
    rows: list[dict[str, str]] = field(default_factory=list)
    trap: str | None = None
    ret: str | None = None


class WindowBroken(Exception):
    """The connection failed while a window was in flight; completed replies are kept."""

    def __init__(self, reason: str, completed: dict[int, Reply]):
        super().__init__(reason)
        self.reason = reason
        self.completed = completed


def failure_reason(problem: BaseException) -> str:
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
