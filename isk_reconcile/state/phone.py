"""Phone numbers as WhatsApp gateways want them: Indonesian, digits only, 62... ."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s().\-/]")
_DIGITS = re.compile(r"^[0-9]{9,15}$")


def normalize_phone(text: str | None) -> str | None:
    """'0812-3456-789', '+62 812 3456789', '812...' -> '628123456789'; None when the text
    is not a plausible number (a message must never go to a guessed recipient)."""
    if not text:
        return None
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+"):  # written with its country code: keep it
        digits = digits[1:]
        return digits if _DIGITS.match(digits) else None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62") or not _DIGITS.match(digits):
        return None
    return digits
