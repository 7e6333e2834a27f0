"""One parser for rupiah amounts typed on the command line (`isk pay`, `--price`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.state.money import parse_rupiah


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("250000", 250_000),
        ("250.000", 250_000),
        ("Rp250.000", 250_000),
        ("rp 250.000,-", 250_000),
        ("Rp. 1.250.000", 1_250_000),
        ("250rb", 250_000),
        ("250 ribu", 250_000),
        ("250K", 250_000),
        ("1,5jt", 1_500_000),
        ("1.5 juta", 1_500_000),
        ("2jt", 2_000_000),
        ("0", 0),
    ],
)
def test_every_spelling_people_use(text: str, amount: int) -> None:
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Rp",
        "1e6",
        "150,000.50",
        "15.00",
        "1.2345rb",
        "٣٠٠",
        "３００",
        "-5000",
        "1.5",
        "abc",
        "12.3456",
    ],
)
def test_anything_else_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match="150000"):
        parse_rupiah(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_dotted_thousands_round_trip(amount: int) -> None:
    dotted = f"{amount:,}".replace(",", ".")
    assert parse_rupiah(dotted) == amount
    assert parse_rupiah(f"Rp{dotted}") == amount
    assert parse_rupiah(str(amount)) == amount


@given(st.text(max_size=20))
def test_no_text_is_an_internal_error(text: str) -> None:
    try:
        amount = parse_rupiah(text)
    except ValueError:
        return
    assert isinstance(amount, int) and amount >= 0
