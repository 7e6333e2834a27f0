"""Editing YAML text in place, the way a careful admin would: pure functions, text in,
text out.

The document is composed (not loaded) so every key and value node carries its exact
character span (start_mark.index / end_mark.index). A change replaces or inserts only
the characters of the value it is about; every other byte — comments, key order,
quoting, blank lines, line endings — stays as it was. Whether the result is a valid
repository is not decided here: the writer validates after writing and restores the
old bytes when it is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from isk_reconcile.errors import IskError
from isk_reconcile.state.writer import yaml_scalar

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KeyPath = Sequence[str]


class EditError(IskError):
    """The text cannot be edited safely (it does not parse, or has an unexpected shape)."""


# --- reading the structure ------------------------------------------------------------------


def compose(text: str) -> MappingNode:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise EditError(f"the file does not parse{where}: fix it by hand first") from None
    if not isinstance(node, MappingNode):
        raise EditError("the file is not a YAML mapping of keys")
    return node


def _entry(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _mapping_at(root: MappingNode, path: KeyPath) -> MappingNode:
    """The mapping holding the last key of `path` (every earlier key must be a mapping)."""
    node = root
    for key in path[:-1]:
        found = _entry(node, key)
        if found is None or not isinstance(found[1], MappingNode):
            raise EditError(f"{'.'.join(path[:-1])} is not a mapping in this file")
        node = found[1]
    return node


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null")


def content_end(text: str, node: Node) -> int:
    """Index just after the node's last character of content (never its trailing comment
    or the line breaks a block scalar or block collection ends with)."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return content_end(text, last[1] if isinstance(last, tuple) else last)
    end = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        while end > node.start_mark.index and text[end - 1] in " \t\r\n":
            end -= 1
    return end


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _after_line(text: str, index: int) -> int:
    """Index just after the line break ending the line that holds `index` (or the end)."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _insert_line(text: str, at: int, line: str) -> str:
    """`line` (without its break) inserted at `at`, a line start or the end of the text."""
    newline = _newline(text)
    if at == len(text) and text and not text.endswith("\n"):
        return text + newline + line + newline
    return text[:at] + line + newline + text[at:]


# --- values as YAML text ------------------------------------------------------------------


def flow_mapping(fields: Mapping[str, object]) -> str:
    """`{from: 2026-03-01, value: home-20m}`: safe in flow and block context alike."""
    return "{" + ", ".join(f"{key}: {yaml_scalar(value)}" for key, value in fields.items()) + "}"


# --- edits ------------------------------------------------------------------------------------


def set_value(text: str, path: KeyPath, value_text: str, *, after: Sequence[str] = ()) -> str:
    """`path` (e.g. ("status",) or ("pppoe", "password")) set to the YAML text
    `value_text` (a scalar or a flow collection). An existing value is replaced where it
    stands; a missing key is inserted after the first of `after` that exists in its
    mapping (else after the mapping's last key)."""
    root = compose(text)
    mapping = _mapping_at(root, path)
    key = path[-1]
    found = _entry(mapping, key)
    if found is None:
        return _insert_key(text, mapping, key, value_text, after)
    key_node, value_node = found
    if isinstance(value_node, ScalarNode) and value_node.style not in ("|", ">"):
        start, end = value_node.start_mark.index, value_node.end_mark.index
        if start == end:  # an empty value (`phone:`): the marks sit right after the colon
            return text[:start] + " " + value_text + text[end:]
        return text[:start] + value_text + text[end:]
    if getattr(value_node, "flow_style", False) or isinstance(value_node, ScalarNode):
        start = value_node.start_mark.index
        return text[:start] + value_text + text[content_end(text, value_node) :]
    # A block collection starts on the next line: the new value goes after the key.
    return (
        text[: key_node.end_mark.index] + ": " + value_text + text[content_end(text, value_node) :]
    )


def set_scalar(text: str, path: KeyPath, value: object, *, after: Sequence[str] = ()) -> str:
    """`set_value` with a Python value written as a YAML scalar that reads back as it."""
    return set_value(text, path, yaml_scalar(value), after=after)


def _insert_key(
    text: str, mapping: MappingNode, key: str, value_text: str, after: Sequence[str]
) -> str:
    return _insert_entry(text, mapping, [f"{yaml_scalar(key)}: {value_text}"], after)


def _insert_entry(
    text: str, mapping: MappingNode, lines: Sequence[str], after: Sequence[str]
) -> str:
    """A new key inserted after the first of `after` in `mapping` (else after its last
    key): `lines[0]` is `key: ...` at the mapping's indent, the others are written as given."""
    if not mapping.value:
        raise EditError("cannot add a key to an empty mapping: edit the file by hand")
    anchor = mapping.value[-1]
    for candidate in after:
        found = _entry(mapping, candidate)
        if found is not None:
            anchor = found
            break
    end = content_end(text, anchor[1])
    if mapping.flow_style:
        if len(lines) > 1:
            raise EditError("cannot add a list to a flow mapping {...}: edit the file by hand")
        return text[:end] + ", " + lines[0] + text[end:]
    at = _after_line(text, end)
    for offset, line in enumerate(lines):
        text = _insert_line(text, at, (" " * _indent(mapping) if offset == 0 else "") + line)
        at = _after_line(text, at)
    return text


def remove_key(text: str, path: KeyPath) -> str:
    """The text without `path` (its whole line(s)); unchanged when the key is absent."""
    root = compose(text)
    mapping = _mapping_at(root, path)
    found = _entry(mapping, path[-1])
    if found is None:
        return text
    key_node, value_node = found
    if mapping.flow_style:
        raise EditError(f"{'.'.join(path)} is in a flow mapping {{...}}: edit it by hand")
    start = _line_start(text, key_node.start_mark.index)
    if text[start : key_node.start_mark.index].strip():
        raise EditError(f"{'.'.join(path)} shares its line with another key: edit it by hand")
    return text[:start] + text[_after_line(text, content_end(text, value_node)) :]


def insert_item(
    text: str,
    path: KeyPath,
    item_text: str,
    *,
    before: int | None = None,
    after: Sequence[str] = (),
) -> str:
    """`item_text` (a flow value) added to the list at `path` — at the end, or before the
    item numbered `before`. A missing or empty key becomes a block list of that item."""
    root = compose(text)
    mapping = _mapping_at(root, path)
    found = _entry(mapping, path[-1])
    if found is None or _is_null(found[1]):
        item_line = " " * (_indent(mapping) + 2) + "- " + item_text
        if found is not None:  # `holds:` or `holds: null`: the list replaces the null
            key_end, value_end = found[0].end_mark.index, found[1].end_mark.index
            return text[:key_end] + ":" + _newline(text) + item_line + text[value_end:]
        return _insert_entry(text, mapping, [f"{yaml_scalar(path[-1])}:", item_line], after)
    sequence = found[1]
    if not isinstance(sequence, SequenceNode):
        raise EditError(f"{'.'.join(path)} is not a list")
    items = sequence.value
    if sequence.flow_style:
        if not items:
            opening = sequence.start_mark.index + 1
            return text[:opening] + item_text + text[opening:]
        if before is None or before >= len(items):
            end = content_end(text, items[-1])
            return text[:end] + ", " + item_text + text[end:]
        start = items[before].start_mark.index
        return text[:start] + item_text + ", " + text[start:]
    dash = _dash_column(text, items[0])
    line = " " * dash + "- " + item_text
    if before is None or before >= len(items):
        return _insert_line(text, _after_line(text, content_end(text, items[-1])), line)
    return _insert_line(text, _line_start(text, items[before].start_mark.index), line)


def _indent(mapping: MappingNode) -> int:
    return mapping.value[0][0].start_mark.column if mapping.value else 0


def _dash_column(text: str, item: Node) -> int:
    """Column of the `-` that introduces a block list item."""
    position = item.start_mark.index - 1
    while position >= 0 and text[position] in " \t":
        position -= 1
    if position < 0 or text[position] != "-":
        raise EditError("unexpected list layout: edit the file by hand")
    return position - _line_start(text, position)


def add_dated(text: str, key: str, first_day: date, day: date, value: object) -> str:
    """A dated entry `{from: day, value: value}` for `key` (SPEC §2 dated values).

    A plain value becomes a dated list whose first entry keeps the old value exactly as
    it was written, from `first_day`; a dated list gets the entry at its end."""
    entry = flow_mapping({"from": day, "value": value})
    root = compose(text)
    found = _entry(root, key)
    if found is None:
        raise EditError(f"the file has no {key}")
    value_node = found[1]
    if isinstance(value_node, ScalarNode):
        if value_node.style in ("|", ">"):
            raise EditError(f"{key} is a block scalar: edit it by hand")
        old = text[value_node.start_mark.index : value_node.end_mark.index]
        first = "{from: " + first_day.isoformat() + ", value: " + old + "}"
        return set_value(text, (key,), f"[{first}, {entry}]")
    return insert_item(text, (key,), entry)


# --- customer files (SPEC §2) ----------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone", "email", "address", "notes")
# Where a missing key goes: after the nearest of these that the file has.
_PLACE = {
    "name": (),
    "phone": ("name",),
    "email": ("phone", "name"),
    "address": ("email", "phone", "name"),
    "notes": (),
    "status": ("price", "profile", "start"),
    "suspend_reason": ("status", "price", "profile"),
    "end": ("status", "price", "profile"),
    "holds": ("suspend_reason", "end", "status", "price", "profile"),
}


def set_status(text: str, status: str) -> str:
    return set_scalar(text, ("status",), status, after=_PLACE["status"])


def suspend(text: str, reason: str) -> str:
    text = set_status(text, "suspended")
    return set_scalar(text, ("suspend_reason",), reason, after=_PLACE["suspend_reason"])


def resume(text: str) -> str:
    return remove_key(set_status(text, "active"), ("suspend_reason",))


def terminate(text: str, end: date) -> str:
    text = set_status(text, "terminated")
    return set_scalar(text, ("end",), end, after=_PLACE["end"])


def add_hold(text: str, fields: Mapping[str, object], before: int | None) -> str:
    """A hold `{from: ..., until: ..., reason: ...}` in the `holds:` list (oldest first:
    before the item numbered `before`, or at the end)."""
    return insert_item(text, ("holds",), flow_mapping(fields), before=before, after=_PLACE["holds"])


def edit_contact(text: str, field: str, value: str) -> str:
    """A contact field set (an empty value removes an optional field; `name` must stay)."""
    if field not in CONTACT_FIELDS:
        raise EditError(
            f"{field} is not a contact field: choose one of {', '.join(CONTACT_FIELDS)}"
        )
    if value == "" and field != "name":
        return remove_key(text, (field,))
    return set_scalar(text, (field,), value, after=_PLACE[field])


def set_password(text: str, stored: str) -> str:
    """pppoe.password replaced by another stored (encrypted) value, nothing else touched."""
    return set_scalar(text, ("pppoe", "password"), stored)
