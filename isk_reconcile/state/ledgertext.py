"""Fast readers for payments and customer files of the regular shape isk and people
write (issue 12).

A ledger is most of a repository's YAML (123,000 entries at 10,000 customers), and
composing it into libyaml nodes and building values from them in Python costs several
times what the C parser alone does; 10,000 small customer files cost it once per file.
These files are nearly always written like this:

    # comment                            name: "Rudi Nugroho"
    - id: P-2026-11-00001                start: 2025-12-05
      customer: c00048                   status: active
      amount: 150000                     pppoe:
      date: 2026-11-01                     password: "age:..."
      note: "cicilan 1"

`PlainReader.ledger` reads exactly the left shape (items `- key: value` and
`  key: value`), `PlainReader.mapping` the right one (`key: value` lines, and `key:`
lines each followed by a mapping of `  key: value` lines): plain scalars on one line,
quoted strings without escapes, blank lines and comments. The text is split in C, each
distinct line is read once (plain values typed by PyYAML's own YAML 1.1 resolver and
constructors, as `yamlsource.parse_yaml` types them) and every entry is made in C from
(key, value) pairs. A reader only answers when it understood every line and the file
holds no error at all (no duplicate key, no YAML-1.2 number trap, no impossible date, no
control character anywhere); anything else, however small, makes the whole file go to
`parse_yaml`, which words the errors. So the result is always what `parse_yaml` gives
(tests/state/test_ledgertext.py checks it on generated texts); positions stay lazy
(SourceFile re-reads the file with parse_yaml when an error needs one).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import yaml

from isk_reconcile.state.yamlsource import (
    LEADING_ZERO,
    NUMBER_IN_YAML_12,
    TIMESTAMP,
    TYPED,
    SourceFile,
    parse_yaml,
    shared,
)

# Anything libyaml reads differently from a plain character (C0 but the line feed, DEL,
# C1 with NEL, the Unicode line and paragraph separators, a byte order mark, the
# non-characters) or that the loader refuses in text (untrusted.CONTROL: bidi controls):
# one of them anywhere, and the file is left to parse_yaml.
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
# A line `key: value` as it stands after its indentation: a key of letters, digits and
# '_'; a value that is a plain scalar on one line (it starts with a letter or digit, or a
# sign or dot before one, and goes on with anything but blanks, '#' and a ':' not
# followed by more text; words are separated by spaces) or a quoted string without
# escapes; then maybe spaces and a comment (after a space). One per line of a text.
_KEY_TEXT = r"[A-Za-z_][A-Za-z0-9_]{0,63}"
_WORD = r"[^\s#:]+(?::[^\s#:]+)*"
_PLAIN = rf"(?:\w|[-+.]\w)[^\s#:]*(?::[^\s#:]+)*(?:[ ]+{_WORD})*"
_QUOTED = r""""[^"\\\n]*"|'[^'\n]*'"""
_FIELD = re.compile(
    rf"^({_KEY_TEXT}):[ ]+({_PLAIN}|{_QUOTED})(?:[ ]+(?:#[^\n]*)?)?$",
    re.MULTILINE,
)
_BLANK = re.compile(r"[ ]*(?:#.*)?")  # a blank or comment line
_KEY = re.compile(_KEY_TEXT)
_QUOTES = frozenset("\"'")
# Only a scalar starting with one of these can match LEADING_ZERO or NUMBER_IN_YAML_12.
_NUMBER_START = frozenset("+-.0123456789")

_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = yaml.resolver.Resolver.DEFAULT_SCALAR_TAG
# Whether PyYAML resolves plain scalars by their first character alone (no resolver for
# any first character, none by path): true unless some code registered such resolvers.
_ONLY_BY_FIRST = None not in _RESOLVER.yaml_implicit_resolvers and not _RESOLVER.yaml_path_resolvers


class _NotPlain(Exception):
    """The file holds something the fast reader leaves to parse_yaml."""


class PlainReader:
    """Reads the files of one load: lines that repeat across files (a customer pays every
    month, thousands of customers are `status: active`) are read once. Drop it after the
    load (it holds every distinct line)."""

    def __init__(self) -> None:
        self.known = Known()

    def ledger(self, content: bytes, relative: str) -> SourceFile:
        """`parse_yaml(content, relative)` of a payments file, the fast way when plain
        (then not worth keeping in the parse cache: see SourceFile.worth_caching)."""
        return self._parsed(read_plain_ledger, content, relative, cache=False)

    def mapping(self, content: bytes, relative: str) -> SourceFile:
        """`parse_yaml(content, relative)` of a file holding one mapping (a customer), the
        fast way when plain."""
        return self._parsed(read_plain_mapping, content, relative)

    def _parsed(
        self, read: Callable[..., Any], content: bytes, relative: str, *, cache: bool = True
    ) -> SourceFile:
        if len(self.known) > 500_000:
            self.known = Known()
        fast = read(content, self.known)
        if fast is None:
            return parse_yaml(content, relative)
        data, item_lines, dates = fast
        # Checked on the way: no key or text value can hold a control character.
        return SourceFile(
            _NOWHERE,
            relative,
            data,
            (),
            item_lines,
            no_controls=True,
            date_paths=dates,
            worth_caching=cache,
        )


def parse_ledger(content: bytes, relative: str) -> SourceFile:
    """`parse_yaml(content, relative)` of a payments file, the fast way when plain."""
    return PlainReader().ledger(content, relative)


def parse_mapping(content: bytes, relative: str) -> SourceFile:
    """`parse_yaml(content, relative)` of a one-mapping file, the fast way when plain."""
    return PlainReader().mapping(content, relative)


class Known(dict[str, tuple[str, Any]]):
    """A `key: value` line -> (key, value) as parse_yaml reads it; `dated`: the lines whose
    value is a date ("d") or a date and time ("t"), for the parse cache's date paths."""

    def __init__(self) -> None:
        super().__init__()
        self.dated: dict[str, str] = {}


Read = tuple[Any, tuple[int, ...], list[list[Any]]]  # data, item lines, date paths


def _plain_text(content: bytes) -> str | None:
    """The file as text, or None when it is not UTF-8 or holds a character libyaml or the
    loader treats specially (then parse_yaml decides)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _UNSAFE.search(text) else text


def read_plain_ledger(content: bytes, known: Known | None = None) -> Read | None:
    """(entries, line of each entry, date paths) of a plain-shaped ledger, or None (see the
    module docstring: then parse_yaml decides). `known`: lines already read; learns more."""
    known = Known() if known is None else known
    text = _plain_text(content)
    if text is None:
        return None
    # Split at every item ("\n- "), not line by line: the C string methods do the work.
    # The first part is what comes before the first item: blank and comment lines.
    header, *items = ("\n" + text).split("\n- ")
    if not items or not all(_BLANK.fullmatch(line) for line in header.split("\n")):
        return None
    try:
        return _entries(items, header.count("\n"), known)
    except _NotPlain:
        return None


def _entries(items: list[str], line: int, known: Known) -> Read:
    """The entries of the items (each the text after its "- "); `line`: of the first
    item's, less one."""
    item_lines: list[int] = []
    field_lists: list[list[str]] = []
    for item in items:
        line += 1
        item_lines.append(line)
        fields = item.split("\n  ")
        breaks = item.count("\n")
        if breaks != len(fields) - 1:  # a blank or comment line, or one of another shape
            fields = _fields(item)
        line += breaks
        field_lists.append(fields)
    # Each distinct line is read once (most repeat: dates, amounts, kinds, customers),
    # and every entry is then made in C from (key, value) pairs looked up by line.
    _learn({line for line in set(chain.from_iterable(field_lists)) if line not in known}, known)
    pair = known.__getitem__
    entries = [dict(map(pair, fields)) for fields in field_lists]
    if sum(map(len, entries)) != sum(map(len, field_lists)):
        raise _NotPlain("a duplicate key")
    dated = known.dated
    dates = [
        [dated[line], index, known[line][0]]
        for index, fields in enumerate(field_lists)
        for line in fields
        if line in dated
    ]
    return entries, tuple(item_lines), dates


def read_plain_mapping(content: bytes, known: Known | None = None) -> Read | None:
    """(mapping, line of each value, date paths) of a file holding one mapping of the plain
    shape (`key: value` lines, and `key:` lines each followed by a mapping of `  key: value`
    lines), or None: then parse_yaml decides. `known`: as for read_plain_ledger."""
    known = Known() if known is None else known
    text = _plain_text(content)
    if text is None:
        return None
    lines = text.split("\n")
    try:
        fields = {line.lstrip(" ") for line in lines if line[-1:] not in ("", ":")}
        _learn({line for line in fields if line[:1] != "#" and line not in known}, known)
        return _mapping(lines, known)
    except (_NotPlain, KeyError):  # KeyError: a line not learned above, of no plain shape
        return None


def _mapping(lines: list[str], known: Known) -> Read:
    data: dict[str, Any] = {}
    item_lines: list[int] = []
    dates: list[list[Any]] = []
    outer = ""  # the key of `inner`
    inner: dict[str, Any] | None = None  # the mapping of the last `key:` line
    for number, line in enumerate(lines, 1):
        if line[:1] not in (" ", "#", ""):
            _no_empty(inner)
            if line[-1] == ":":  # `key:`, a mapping follows
                if not _KEY.fullmatch(line[:-1]):
                    raise _NotPlain(line)
                key, inner = _key(line[:-1]), {}
                outer = key
            else:
                (key, value), inner = known[line], None
                if line in known.dated:
                    dates.append([known.dated[line], key])
            if key in data:
                raise _NotPlain("a duplicate key")
            data[key] = value if inner is None else inner
            if inner is None:
                item_lines.append(number)
        elif line[:2] == "  " and line[2:3] not in ("", " ", "#") and inner is not None:
            key, value = known[line[2:]]
            if key in inner:
                raise _NotPlain("a duplicate key")
            if line[2:] in known.dated:
                dates.append([known.dated[line[2:]], outer, key])
            if not inner:
                item_lines.append(number)
            inner[key] = value
        elif not _BLANK.fullmatch(line):
            raise _NotPlain(line)
    _no_empty(inner)
    if not data:
        raise _NotPlain("no key")
    return data, tuple(item_lines), dates


def _no_empty(inner: dict[str, Any] | None) -> None:
    if inner is not None and not inner:
        raise _NotPlain("a key without a value")  # YAML's null, at a position of its own


def _fields(item: str) -> list[str]:
    """The `key: value` lines of an item, blank and comment lines left out."""
    first, *rest = item.split("\n")
    fields = [first]
    for line in rest:
        if line[:2] == "  " and line[2:3] not in ("", " ", "#"):
            fields.append(line[2:])
        elif not _BLANK.fullmatch(line):
            raise _NotPlain(line)
    return fields


def _learn(lines: set[str], known: Known) -> None:
    """Add (key, value) of each `key: value` line to `known`; _NotPlain if one is not
    of the plain shape. (A value repeats as its line does, and is then one object.)"""
    ordered = list(lines)
    found = _FIELD.findall("\n".join(ordered))  # no line holds a line break
    if len(found) != len(ordered):
        raise _NotPlain("a line of another shape")
    keys, by_first = _KEYS, _BY_FIRST if _ONLY_BY_FIRST else {}
    for line, (key, text) in zip(ordered, found, strict=True):
        first = text[0]
        if first in _QUOTES:
            value = text[1:-1]
        elif not _ONLY_BY_FIRST:
            value = _typed(text)
        elif first not in by_first or (first not in _NUMBER_START and _resolve(text) == _STR_TAG):
            value = text  # text for certain (most ids and references): no number trap
        else:
            value = _typed(text)
            if isinstance(value, date):
                known.dated[line] = "t" if isinstance(value, datetime) else "d"
        known[line] = (keys.get(key) or _key(key), value)


_BY_FIRST = _RESOLVER.yaml_implicit_resolvers


def _resolve(text: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar, as the loader's _Loader asks it
    (Resolver.resolve, without its generality when only first characters matter)."""
    if not _ONLY_BY_FIRST:
        return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    for tag, pattern in _BY_FIRST.get(text[0], ()):
        if pattern.match(text):
            return tag
    return _STR_TAG


def _typed(text: str) -> Any:
    """A plain scalar as yamlsource._Builder makes it, or _NotPlain where it would record
    an error (a YAML-1.2 number trap, an impossible date, an unsupported tag)."""
    tag = _resolve(text)
    if tag == _STR_TAG:
        if LEADING_ZERO.match(text) or NUMBER_IN_YAML_12.match(text):
            raise _NotPlain(text)
        return shared(text)
    construct = TYPED.get(tag)
    if construct is None:
        raise _NotPlain(text)
    try:
        value = construct(yaml.ScalarNode(tag, text))
    except (ValueError, OverflowError, TypeError) as problem:
        raise _NotPlain(text) from problem
    return shared(value) if tag == TIMESTAMP else value


def _key(text: str) -> str:
    """The interned key, when YAML reads it as text (not `yes:`, `null:`)."""
    key = _KEYS.get(text)
    if key is None:
        if _resolve(text) != _STR_TAG:
            raise _NotPlain(text)
        if len(_KEYS) > 1000:
            _KEYS.clear()
        key = _KEYS[text] = sys.intern(text)
    return key


_KEYS: dict[str, str] = {}  # checked key text -> the interned key
_NOWHERE = Path(".")  # a SourceFile's repo until read_yaml sets it (one Path, not 10,000)
