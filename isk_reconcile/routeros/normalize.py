"""Canonical spelling of RouterOS attribute values.

Both sides of a comparison go through here: the desired-state builder (values from
YAML: str, bool, int, lists) and the live reads (raw strings off the wire). Two values
are canonically equal exactly when RouterOS would hold the same setting, so a router
that prints `10000k/10M` where the YAML says `10M/10M` does not produce a diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from isk_reconcile.routeros.fields import fields_of_kind
from isk_reconcile.state.ratelimit import canonical_rate_limit

# Spellings by value kind (routeros.fields is the one table of fields).
TRUE_FALSE_FIELDS = fields_of_kind("true-false")
YES_NO_FIELDS = fields_of_kind("yes-no")
LIST_FIELDS = fields_of_kind("list")
RATE_FIELDS = fields_of_kind("rate")

TRUE_WORDS = frozenset({"yes", "true"})
FALSE_WORDS = frozenset({"no", "false"})


def canonical(field: str, value: object) -> str:
    """The canonical string for `value` of `field` (the same field name means the same
    spelling in every /ppp menu)."""
    if value is None:
        return ""
    if field in TRUE_FALSE_FIELDS:
        return _boolean(value, "true", "false")
    if field in YES_NO_FIELDS:
        return _boolean(value, "yes", "no")
    if field in LIST_FIELDS:
        return _joined(value)
    if isinstance(value, bool):  # a boolean for a field we do not know: RouterOS spelling
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if field in RATE_FIELDS:
        return canonical_rate_limit(text)
    return text


# Fields whose spelling canonical() changes; a string of any other field is already canonical.
_RESPELLED = TRUE_FALSE_FIELDS | YES_NO_FIELDS | LIST_FIELDS | RATE_FIELDS


def canonical_item(attrs: Mapping[str, object]) -> dict[str, str]:
    """Canonical strings for every attribute of one entry (a live read holds thousands
    of entries of plain strings: those pass through without a call)."""
    return {
        field: value if type(value) is str and field not in _RESPELLED else canonical(field, value)
        for field, value in attrs.items()
    }


def to_wire(field: str, value: str) -> str:
    """The spelling to send: RouterOS accepts yes/no for every boolean field."""
    if field in TRUE_FALSE_FIELDS:
        if value == "true":
            return "yes"
        if value == "false":
            return "no"
    return value


def _boolean(value: object, true_word: str, false_word: str) -> str:
    if isinstance(value, bool):
        return true_word if value else false_word
    text = str(value).strip()
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return true_word
    if lowered in FALSE_WORDS:
        return false_word
    return text  # "default", "required", ...


def _joined(value: object) -> str:
    parts: Iterable[object] = value if isinstance(value, list | tuple) else str(value).split(",")
    return ",".join(stripped for part in parts if (stripped := str(part).strip()))
