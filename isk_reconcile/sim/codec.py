"""The RouterOS API wire format: length-prefixed words grouped into sentences.

Text is decoded as UTF-8 with `surrogateescape`, so any byte sequence a client sends
is stored and echoed back unchanged (RouterOS stores bytes, not characters).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

# A word longer than this is treated as a broken or hostile client, not stored.
MAX_WORD_BYTES = 64 * 1024 * 1024

TEXT_ENCODING = "utf-8"
TEXT_ERRORS = "surrogateescape"


class ProtocolViolation(Exception):
    """The peer sent bytes that are not a valid API sentence."""


def encode_length(length: int) -> bytes:
    """The shortest length prefix for `length` (all five forms)."""
    if length < 0:
        raise ValueError(f"negative word length {length}")
    if length < 0x80:
        return length.to_bytes(1, "big")
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    if length <= 0xFFFFFFFF:
        return b"\xf0" + length.to_bytes(4, "big")
    raise ValueError(f"word too long for the API: {length} bytes")


def prefix_extra_bytes(first: int) -> int:
    """How many bytes follow the first byte of a length prefix."""
    if first < 0x80:
        return 0
    if first < 0xC0:
        return 1
    if first < 0xE0:
        return 2
    if first < 0xF0:
        return 3
    if first == 0xF0:
        return 4
    raise ProtocolViolation(f"reserved length prefix byte 0x{first:02X}")


def decode_length(prefix: bytes) -> int:
    """The length encoded by a complete prefix (first byte plus its extra bytes)."""
    first = prefix[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return int.from_bytes(prefix[:2], "big") & 0x3FFF
    if first < 0xE0:
        return int.from_bytes(prefix[:3], "big") & 0x1FFFFF
    if first < 0xF0:
        return int.from_bytes(prefix[:4], "big") & 0xFFFFFFF
    if first == 0xF0:
        return int.from_bytes(prefix[1:5], "big")
    raise ProtocolViolation(f"reserved length prefix byte 0x{first:02X}")


def encode_word(word: str) -> bytes:
    data = word.encode(TEXT_ENCODING, TEXT_ERRORS)
    return encode_length(len(data)) + data


def encode_sentence(words: Iterable[str]) -> bytes:
    """Words followed by the zero-length word that ends a sentence. (The one-byte prefix
    of almost every word is written inline: a print of a 2,000-secret router is tens of
    thousands of words, and the benchmark's simulators share the client's CPU.)"""
    out = bytearray()
    for word in words:
        data = word.encode(TEXT_ENCODING, TEXT_ERRORS)
        if len(data) < 0x80:
            out.append(len(data))
        else:
            out += encode_length(len(data))
        out += data
    out.append(0)
    return bytes(out)


class SentenceReader:
    """Reads whole sentences from a buffered binary stream (e.g. `socket.makefile("rb")`)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def _exact(self, count: int) -> bytes:
        data = self._stream.read(count)
        if data is None or len(data) != count:
            raise EOFError("connection closed in the middle of a sentence")
        return data

    def read_sentence(self) -> list[str] | None:
        """The next sentence's words, or None when the peer closed between sentences."""
        words: list[str] = []
        while True:
            first = self._stream.read(1)
            if not first:
                if words:
                    raise EOFError("connection closed in the middle of a sentence")
                return None
            extra = prefix_extra_bytes(first[0])
            prefix = first + self._exact(extra) if extra else first
            length = decode_length(prefix)
            if length == 0:
                if words:
                    return words
                continue  # an empty sentence carries nothing: RouterOS ignores it too
            if length > MAX_WORD_BYTES:
                raise ProtocolViolation(f"word of {length} bytes is too long")
            words.append(self._exact(length).decode(TEXT_ENCODING, TEXT_ERRORS))
