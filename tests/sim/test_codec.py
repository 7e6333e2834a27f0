"""The API wire format: length prefixes, words, sentences."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.sim.codec import (
    ProtocolViolation,
    SentenceReader,
    decode_length,
    encode_length,
    encode_sentence,
    encode_word,
)


@pytest.mark.parametrize(
    ("length", "prefix"),
    [
        (0, b"\x00"),
        (0x7F, b"\x7f"),
        (0x80, b"\x80\x80"),
        (0x3FFF, b"\xbf\xff"),
        (0x4000, b"\xc0\x40\x00"),
        (0x1FFFFF, b"\xdf\xff\xff"),
        (0x200000, b"\xe0\x20\x00\x00"),
        (0xFFFFFFF, b"\xef\xff\xff\xff"),
        (0x10000000, b"\xf0\x10\x00\x00\x00"),
        (0xFFFFFFFF, b"\xf0\xff\xff\xff\xff"),
    ],
)
def test_every_length_form_encodes_and_decodes(length: int, prefix: bytes) -> None:
    assert encode_length(length) == prefix
    assert decode_length(prefix) == length


def test_librouteros_and_simulator_agree_on_lengths() -> None:
    from librouteros.protocol import encode_length as client_encode

    for length in (0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF):
        assert encode_length(length) == client_encode(length)


def test_reader_returns_sentences_and_none_at_clean_end() -> None:
    stream = io.BytesIO(encode_sentence(["/login", "=name=admin"]) + encode_sentence(["/quit"]))
    reader = SentenceReader(stream)
    assert reader.read_sentence() == ["/login", "=name=admin"]
    assert reader.read_sentence() == ["/quit"]
    assert reader.read_sentence() is None


def test_reader_accepts_a_non_minimal_five_byte_prefix() -> None:
    word = b"/system/identity/print"
    stream = io.BytesIO(b"\xf0" + len(word).to_bytes(4, "big") + word + b"\x00")
    assert SentenceReader(stream).read_sentence() == ["/system/identity/print"]


def test_long_words_round_trip_through_the_three_byte_form() -> None:
    value = "x" * 20000
    stream = io.BytesIO(encode_sentence(["/ppp/secret/add", f"=comment={value}"]))
    assert SentenceReader(stream).read_sentence() == ["/ppp/secret/add", f"=comment={value}"]


def test_reserved_prefix_is_a_protocol_violation() -> None:
    with pytest.raises(ProtocolViolation):
        SentenceReader(io.BytesIO(b"\xf8abc")).read_sentence()


def test_end_of_stream_inside_a_sentence_is_an_error() -> None:
    with pytest.raises(EOFError):
        SentenceReader(io.BytesIO(encode_word("/login"))).read_sentence()


def test_any_bytes_survive_a_round_trip() -> None:
    raw = b"=comment=caf\xc3\xa9 \xff"
    stream = io.BytesIO(bytes([len(raw)]) + raw + b"\x00")
    words = SentenceReader(stream).read_sentence()
    assert words is not None
    assert encode_word(words[0]) == bytes([len(raw)]) + raw


@given(
    st.lists(
        st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=6),
        min_size=1,
        max_size=5,
    )
)
def test_any_sentences_round_trip(sentences: list[list[str]]) -> None:
    stream = io.BytesIO(b"".join(encode_sentence(words) for words in sentences))
    reader = SentenceReader(stream)
    assert [reader.read_sentence() for _ in sentences] == sentences
    assert reader.read_sentence() is None
