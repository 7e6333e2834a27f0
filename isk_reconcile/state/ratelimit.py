"""RouterOS rate-limit syntax: `rx/tx [burst [threshold [time [priority] [min]]]]`.

A value of the state repository (a profile's `rate_limit`) that the loader validates and
the reconciler compares: it lives here, below both, so that `state` needs nothing from
`routeros` (routeros.normalize spells rate limits through `canonical_rate_limit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_UNITS = {
    "": 1,
    "k": 1000,
    "K": 1000,
    "M": 1_000_000,
    "m": 1_000_000,
    "G": 1_000_000_000,
    "g": 1_000_000_000,
}
_RATE = re.compile(r"^(\d+(?:\.\d+)?)([kKmMgG]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_TIME = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


@dataclass(frozen=True)
class RateLimit:
    """`rx/tx [burst [threshold [time [priority] [min]]]]`, in bits/s and seconds."""

    rate: tuple[int, int]
    burst: tuple[int, int] = (0, 0)
    threshold: tuple[int, int] = (0, 0)
    time: tuple[int, int] = (0, 0)
    priority: int = 8
    minimum: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        parts = [
            _pair(self.rate, _bits),
            _pair(self.burst, _bits),
            _pair(self.threshold, _bits),
            _pair(self.time, _plain),
            str(self.priority),
            _pair(self.minimum, _bits),
        ]
        defaults = ["", "0/0", "0/0", "0/0", "8", "0/0"]
        # Trailing parts at their defaults are what RouterOS assumes when they are omitted.
        while len(parts) > 1 and parts[-1] == defaults[len(parts) - 1]:
            parts.pop()
        return " ".join(parts)


def parse_rate_limit(text: str) -> RateLimit:
    """Parse RouterOS rate-limit syntax; ValueError with a readable reason when invalid."""
    parts = text.split()
    if not parts:
        raise ValueError("empty rate limit")
    if len(parts) > 6:
        raise ValueError(f"too many parts in rate limit {text!r} (at most 6)")
    rate = _parse_pair(parts[0], _parse_bits, "rate")
    burst = _parse_pair(parts[1], _parse_bits, "burst rate") if len(parts) > 1 else (0, 0)
    threshold = _parse_pair(parts[2], _parse_bits, "burst threshold") if len(parts) > 2 else (0, 0)
    time = _parse_pair(parts[3], _parse_seconds, "burst time") if len(parts) > 3 else (0, 0)
    priority = 8
    if len(parts) > 4:
        if not parts[4].isdigit() or not 1 <= int(parts[4]) <= 8:
            raise ValueError(f"priority {parts[4]!r} must be a number from 1 to 8")
        priority = int(parts[4])
    minimum = _parse_pair(parts[5], _parse_bits, "minimum rate") if len(parts) > 5 else (0, 0)
    return RateLimit(rate, burst, threshold, time, priority, minimum)


def canonical_rate_limit(text: str) -> str:
    """Minimal unit spelling (`10000000/10000000` -> `10M/10M`); unparsable text is kept as is."""
    stripped = " ".join(text.split())
    if not stripped:
        return ""
    try:
        return str(parse_rate_limit(stripped))
    except ValueError:
        return stripped


def _parse_pair(token: str, parse_one: Callable[[str, str], int], what: str) -> tuple[int, int]:
    pieces = token.split("/")
    if len(pieces) > 2:
        raise ValueError(f"{what} {token!r} has more than one '/'")
    rx = parse_one(pieces[0], what)
    tx = parse_one(pieces[1], what) if len(pieces) == 2 else rx
    return rx, tx


def _parse_number(token: str, pattern: re.Pattern[str], units: Mapping[str, int], what: str) -> int:
    match = pattern.match(token)
    if not match:
        raise ValueError(f"{what} {token!r} is not a number with an optional unit")
    try:
        amount = Decimal(match.group(1)) * units[match.group(2)]
    except InvalidOperation as problem:
        raise ValueError(f"{what} {token!r} is not a number") from problem
    if amount != amount.to_integral_value():
        raise ValueError(f"{what} {token!r} is not a whole number")
    return int(amount)


def _parse_bits(token: str, what: str) -> int:
    return _parse_number(token, _RATE, _UNITS, what)


def _parse_seconds(token: str, what: str) -> int:
    return _parse_number(token, _TIME, _SECONDS, what)


def _bits(value: int) -> str:
    for suffix, size in (("G", 1_000_000_000), ("M", 1_000_000), ("k", 1000)):
        if value and value % size == 0:
            return f"{value // size}{suffix}"
    return str(value)


def _plain(value: int) -> str:
    return str(value)


def _pair(pair: tuple[int, int], spell: Callable[[int], str]) -> str:
    return f"{spell(pair[0])}/{spell(pair[1])}"
