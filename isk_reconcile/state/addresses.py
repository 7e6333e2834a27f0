"""What an address, a name on the network or a ledger id may look like.

Everything here is written to a router or decides where the tool connects, so it is
checked for what it is (the `ipaddress` module for addresses, RFC 1123 for host names),
never passed on as free text: `10.0.0.300`, `dns_server: "evil;x"` or
`host: "127.0.0.1; rm -rf /"` are errors at their line.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic_core import PydanticCustomError

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# RouterOS names of pools (and other named things an address field may point to).
POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAC = re.compile(r"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$")
_LOOKS_NUMERIC = re.compile(r"^[0-9.:]+$")
# Ledger ids: one spelling per id. Upper-case ASCII only, so "p-1" and a Cyrillic "Р-1"
# (or one with a zero-width space) can never sit beside "P-1" as a different entry.
LEDGER_ID = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
TOOL_ID = re.compile(r"^P-\d{4}-\d{2}-(\d+)$")
MAX_ID_NUMBER_DIGITS = 6


def _fail(kind: str, message: str, **context: object) -> PydanticCustomError:
    return PydanticCustomError(kind, message, dict(context))


def _shown(value: str) -> str:
    """The value with anything invisible or non-ASCII spelled out (\\u200b, \\u0420)."""
    return ascii(value)[1:-1]


def ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _fail("isk_ip", "'{value}' is not an IP address", value=_shown(value)) from None
    return value


def host(value: str) -> str:
    """An IP address, or a host name by RFC 1123 (letters, digits, '-', dot-separated)."""
    if _LOOKS_NUMERIC.match(value) or ":" in value:
        return ip_address(value)
    labels = value.removesuffix(".").split(".")
    if len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _fail(
            "isk_host",
            "'{value}' is not an IP address or a host name (letters, digits, '-' and '.')",
            value=_shown(value),
        )
    if labels[-1].isdigit():
        raise _fail("isk_host", "'{value}' is not a valid IP address", value=_shown(value))
    return value


def ip_or_pool(value: str) -> str:
    """local_address / remote_address: an IP address or the name of an IP pool."""
    if _LOOKS_NUMERIC.match(value) or ":" in value:
        return ip_address(value)
    if not POOL_NAME.match(value):
        raise _fail(
            "isk_pool",
            "'{value}' is not an IP address or a pool name (letters, digits, '.', '_', '-')",
            value=_shown(value),
        )
    return value


def caller_id(value: str) -> str:
    """A MAC address AA:BB:CC:DD:EE:FF (PPPoE), or an IP address (L2TP, PPTP, ...)."""
    if MAC.match(value):
        return value
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _fail(
            "isk_mac",
            "'{value}' is not a MAC address like AA:BB:CC:DD:EE:FF (nor an IP address)",
            value=_shown(value),
        ) from None
    return value


def ledger_id(value: str) -> str:
    if not LEDGER_ID.match(value):
        hint = ""
        if value.isascii() and LEDGER_ID.match(value.upper()):
            hint = f": write it {value.upper()}"
        elif not value.isascii():
            hint = ": it has non-ASCII characters (look-alike letters, invisible spaces)"
        raise _fail(
            "isk_ledger_id",
            "ledger id '{value}' must be 1-40 upper-case ASCII letters, digits, '.', '_' "
            "or '-'{hint}",
            value=_shown(value),
            hint=hint,
        )
    tool = TOOL_ID.match(value)
    if tool and len(tool[1]) > MAX_ID_NUMBER_DIGITS:
        raise _fail(
            "isk_ledger_id",
            "ledger id '{value}' has a number of {digits} digits (at most {most})",
            value=value,
            digits=len(tool[1]),
            most=MAX_ID_NUMBER_DIGITS,
        )
    return value
