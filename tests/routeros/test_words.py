"""The client's sentence reader against every length prefix of the wire protocol
(ROUTEROS.md): one to five bytes, words split across socket reads, a reserved prefix."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from librouteros.exceptions import ProtocolError
from librouteros.protocol import encode_sentence

from isk_reconcile.routeros.protocol import BufferedTransport


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, BufferedTransport]]:
    ours, theirs = socket.socketpair()
    transport = BufferedTransport(ours)
    transport.start("reading", 10)
    yield theirs, transport
    theirs.close()
    ours.close()


def send_slowly(sock: socket.socket, data: bytes, chunk: int) -> threading.Thread:
    """Send `data` in pieces of `chunk` bytes from another thread (a big word would fill
    the socket buffers if sent before anything reads it)."""

    def run() -> None:
        for start in range(0, len(data), chunk):
            sock.sendall(data[start : start + chunk])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "length", [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000]
)  # each side of every prefix size (1, 2, 3 and 4 bytes)
def test_words_of_every_prefix_size_are_read_whole(
    pair: tuple[socket.socket, BufferedTransport], length: int
) -> None:
    theirs, transport = pair
    word = "é" * (length // 2) + "x" * (length % 2)  # UTF-8: `length` bytes
    data = encode_sentence("!re", f"={word}", "=b=yes", encoding="utf-8")
    data += encode_sentence("!done", encoding="utf-8")
    sender = send_slowly(theirs, data, 65536 if length > 0x4000 else 3)
    assert transport.read_sentence("utf-8") == ["!re", f"={word}", "=b=yes"]
    assert transport.read_sentence("utf-8") == ["!done"]
    sender.join(10)


def test_a_five_byte_prefix_is_read(pair: tuple[socket.socket, BufferedTransport]) -> None:
    theirs, transport = pair
    theirs.sendall(b"\x03!re" + b"\xf0\x00\x00\x00\x04=a=b" + b"\x00")
    assert transport.read_sentence("utf-8") == ["!re", "=a=b"]


def test_undecodable_bytes_are_replaced(pair: tuple[socket.socket, BufferedTransport]) -> None:
    theirs, transport = pair
    theirs.sendall(b"\x03!re" + b"\x0a=comment=\xe9" + b"\x00")
    assert transport.read_sentence("utf-8") == ["!re", "=comment=\ufffd"]


def test_a_reserved_prefix_is_a_protocol_error(
    pair: tuple[socket.socket, BufferedTransport],
) -> None:
    theirs, transport = pair
    theirs.sendall(b"\xf8\x00")
    with pytest.raises(ProtocolError, match="reserved"):
        transport.read_sentence("utf-8")
