"""RouterOS rate-limit syntax (state.ratelimit): parsing, canonical spelling, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.state.ratelimit import RateLimit, canonical_rate_limit, parse_rate_limit


@pytest.mark.parametrize(
    "text",
    ["fast", "10X/10M", "10M/10M/10M", "10M 1M 1M 8 9", "1 2 3 4 5 6 7", "1.0005k", "-1M"],
)
def test_invalid_rate_limits_raise_and_canonical_keeps_them(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate_limit(text)
    assert canonical_rate_limit(text) == " ".join(text.split())


def test_parse_rate_limit_values() -> None:
    parsed = parse_rate_limit("10M/5M 20M/10M 8M/4M 16s/8 3 1M/512k")
    assert parsed == RateLimit(
        rate=(10_000_000, 5_000_000),
        burst=(20_000_000, 10_000_000),
        threshold=(8_000_000, 4_000_000),
        time=(16, 8),
        priority=3,
        minimum=(1_000_000, 512_000),
    )


UNITS = {"": 1, "k": 1000, "M": 1_000_000, "G": 1_000_000_000}


@given(
    rx=st.integers(min_value=0, max_value=10**10),
    tx=st.integers(min_value=0, max_value=10**10),
    unit=st.sampled_from(["", "k", "M", "G"]),
)
def test_any_spelling_of_the_same_rate_is_equal(rx: int, tx: int, unit: str) -> None:
    plain = canonical_rate_limit(f"{rx * UNITS[unit]}/{tx * UNITS[unit]}")
    suffixed = canonical_rate_limit(f"{rx}{unit}/{tx}{unit}")
    assert plain == suffixed
    assert parse_rate_limit(plain).rate == (rx * UNITS[unit], tx * UNITS[unit])


RATE_TOKEN = st.builds(
    lambda number, unit: f"{number}{unit}",
    st.integers(min_value=0, max_value=5000),
    st.sampled_from(["", "k", "K", "M", "G"]),
)


PAIR = st.one_of(RATE_TOKEN, st.builds(lambda rx, tx: f"{rx}/{tx}", RATE_TOKEN, RATE_TOKEN))


TIME_PAIR = st.builds(
    lambda rx, tx, unit: f"{rx}{unit}/{tx}{unit}",
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=0, max_value=600),
    st.sampled_from(["", "s"]),
)


@given(
    parts=st.tuples(PAIR, PAIR, PAIR, TIME_PAIR, st.integers(min_value=1, max_value=8), PAIR),
    length=st.integers(min_value=1, max_value=6),
)
def test_canonical_rate_limit_is_a_fixed_point_that_keeps_the_meaning(
    parts: tuple[str, ...], length: int
) -> None:
    text = " ".join(str(part) for part in parts[:length])
    once = canonical_rate_limit(text)
    assert canonical_rate_limit(once) == once  # canonical of canonical changes nothing
    assert parse_rate_limit(once) == parse_rate_limit(text)  # and it means the same
