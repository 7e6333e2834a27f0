"""Rupiah amounts as people type them: one parser for every command-line amount.

Accepted spellings (case-insensitive, spaces ignored): `250000`, `250.000` (dotted
thousands, the Indonesian way), `Rp250.000`, `Rp 250.000,-`, `250rb` / `250ribu` / `250k`
(thousands), `1,5jt` / `1.5 juta` (millions; a decimal comma or point). The result is a
whole number of rupiah: a spelling that would need a fraction of a rupiah is refused,
and so is anything that is not plainly one of these (`1e6`, `150,000.50`, `٣٠٠`).
Amounts in the state repository itself stay YAML integers (SPEC §2); this is for
arguments only.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SCALES = {"": 1, "rb": 1000, "ribu": 1000, "k": 1000, "jt": 1_000_000, "juta": 1_000_000}
_PLAIN = re.compile(r"[0-9]+")
_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_SCALED = re.compile(r"(?P<number>[0-9]+(?:[.,][0-9]+)?)(?P<unit>rb|ribu|k|jt|juta)")


def parse_rupiah(text: str) -> int:
    """The whole-rupiah amount `text` spells; ValueError with a hint otherwise."""
    spelled = re.sub(r"\s+", "", text).lower()
    if spelled.startswith("rp"):
        spelled = spelled[2:].lstrip(".")
    spelled = spelled.removesuffix(",-")
    if not spelled.isascii():
        raise ValueError(f"{text!r} is not an amount: use ASCII digits, e.g. 150000")
    if _PLAIN.fullmatch(spelled):
        return int(spelled)
    if _DOTTED.fullmatch(spelled):
        return int(spelled.replace(".", ""))
    scaled = _SCALED.fullmatch(spelled)
    if scaled:
        try:
            number = Decimal(scaled["number"].replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern only admits decimals
            number = Decimal(-1)
        amount = number * _SCALES[scaled["unit"]]
        if amount == amount.to_integral_value():
            return int(amount)
    raise ValueError(
        f"{text!r} is not a whole number of rupiah (e.g. 150000, 150.000, Rp150.000, 150rb)"
    )
