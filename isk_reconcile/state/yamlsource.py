"""YAML files read safely, with the position of every value (SPEC §2, general rules).

PyYAML's constructors forget where values came from and silently keep the last of
two duplicate keys, so we compose the node tree with the libyaml C parser and build
plain Python values ourselves: strings, ints, floats, bools, None, dates, dicts and
lists. Every value's line and column is kept (by YAML path) for error messages, and
problems that belong to the file itself (syntax, duplicate keys, unsupported tags,
non-string keys) are collected as `ConfigError`s.

Parsed files are cached (see parsecache: plain JSON outside the work tree) keyed by the
sha256 of their bytes, so re-loading an unchanged repository does not parse YAML again.
Positions are not cached: they are only needed when something is wrong, and then the file
is re-read.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CParser

from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state.parsecache import ParseCache
from isk_reconcile.untrusted import CONTROL

YamlPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, TIMESTAMP = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
# A plain (unquoted, untagged) scalar that resolved to text: only these can be YAML typing
# traps. Quoted text and an explicit `!!str` (the documented YAML way to force text) are
# plain _STR and are never flagged.
PLAIN_STR = "isk:plain-str"
# Plain scalars that PyYAML (YAML 1.1) keeps as text but YAML 1.2 tools (editors, yq,
# CI linters) read as numbers: 0812... (8 and 9 are not octal digits), 1e3 (1.1 floats
# need a dot), 0o17 (1.2 octal).
LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
NUMBER_IN_YAML_12 = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$|^0o[0-7]+$")

# Shared scalar constructors (stateless for scalars).
_SCALARS = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Positions:
    """Where each value (and each mapping key) of a file is written, by YAML path."""

    values: dict[YamlPath, tuple[int, int]]
    keys: dict[YamlPath, tuple[int, int]]
    raw: dict[YamlPath, str]  # source text of scalars YAML typed as non-strings


@dataclass
class SourceFile:
    """One parsed YAML file: its plain data, its own errors, and positions on demand."""

    repo: Path
    path: str  # relative to the repo, with forward slashes
    data: Any
    errors: tuple[ConfigError, ...]
    item_lines: tuple[int, ...] = ()  # line of each top-level list item / mapping value
    _positions: Positions | None = field(default=None, repr=False)
    # Known when parsed here: no key or text value holds an untrusted.CONTROL character
    # (policy.text_errors then has nothing to find). False: not known, look.
    no_controls: bool = False
    # Where the data's dates stand (parsecache's date paths), when the reader knows them
    # already (ledgertext): the parse cache need not look through 123,000 entries.
    date_paths: list[list[Any]] | None = field(default=None, repr=False)
    # Whether the parse cache should keep it: not a payments file the fast reader read
    # (ledgertext), which reading again costs about what decoding its entry would, and
    # whose entry (most of the cache: 123,000 entries) costs more to write than both.
    worth_caching: bool = field(default=True, repr=False)
    # The sha256 (hex) of the bytes it was read from, when read_yaml took it for the parse
    # cache: the loader knows which content its State came from without reading again.
    digest: str | None = field(default=None, repr=False)

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            parsed = parse_yaml((self.repo / self.path).read_bytes(), self.path)
            self._positions = parsed._positions or Positions({}, {}, {})
        return self._positions

    def forget_positions(self) -> None:
        """Free the positions (re-read from the file if asked for again)."""
        self._positions = None

    def loc(self, path: YamlPath, *, key: bool = False) -> Loc:
        """The position of `path` (its key when `key`), else of its nearest written ancestor."""
        positions = self.positions
        table = positions.keys if key else positions.values
        if path in table:
            line, column = table[path]
            return Loc(self.path, line, column)
        for end in range(len(path) - 1, -1, -1):
            prefix = path[:end]
            # A missing key is reported at its parent's key ("pppoe:"), else its value.
            if prefix in positions.keys:
                line, column = positions.keys[prefix]
                return Loc(self.path, line, column)
            if prefix in positions.values:
                line, column = positions.values[prefix]
                return Loc(self.path, line, column)
        return Loc(self.path, 1, 1)

    def raw(self, path: YamlPath) -> str | None:
        """The source text of a scalar that YAML read as a non-string."""
        return self.positions.raw.get(path)


Parser = Callable[[bytes, str], "SourceFile"]


def read_yaml(
    repo: Path, relative: str, cache: ParseCache | None = None, parse: Parser | None = None
) -> SourceFile:
    """Read `repo/relative`, from `cache` when its content is unchanged. `parse`: what
    gives the same as parse_yaml for this file, faster (ledgertext.parse_ledger)."""
    parse = parse_yaml if parse is None else parse
    with open(os.path.join(repo, relative), "rb") as file:  # not pathlib: 10,000 files
        content = file.read()
    if cache is None:
        return _with_repo(parse(content, relative), repo)
    digest = hashlib.sha256(content).digest()
    cached = cache.get(digest)
    if cached is not None:
        data, errors, item_lines = cached
        # Errors name the file they were found in; a renamed file keeps its content.
        errors = tuple(_renamed(error, relative) for error in errors)
        return SourceFile(repo, relative, data, errors, item_lines, digest=digest.hex())
    parsed = _with_repo(parse(content, relative), repo)
    if parsed.worth_caching:
        cache.put(digest, (parsed.data, parsed.errors, parsed.item_lines), parsed.date_paths)
    parsed.digest = digest.hex()
    return parsed


def _with_repo(parsed: SourceFile, repo: Path) -> SourceFile:
    parsed.repo = repo
    return parsed


def _renamed(error: ConfigError, path: str) -> ConfigError:
    if error.loc.file == path:
        return error
    loc = Loc(path, error.loc.line, error.loc.column)
    return ConfigError(loc, error.field, error.message, error.hint)


class _Loader(CParser, yaml.resolver.Resolver):
    """libyaml's parser and composer; tags resolved with a memo (ledgers repeat values)."""

    _memo: dict[str, str] = {}

    def __init__(self, content: bytes):
        CParser.__init__(self, content)
        yaml.resolver.Resolver.__init__(self)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR  # quoted
            tag = self._memo.get(value)
            if tag is None:
                tag = yaml.resolver.Resolver.resolve(self, kind, value, implicit)
                if tag == _STR:
                    tag = PLAIN_STR
                if len(self._memo) > 200_000:
                    self._memo.clear()
                self._memo[value] = tag
            return tag
        return _MAP if kind is yaml.MappingNode else _SEQ


def parse_yaml(content: bytes, relative: str) -> SourceFile:
    """Parse one YAML document into plain values, positions and the file's own errors."""
    builder = _Builder(relative)
    try:
        loader = _Loader(content)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {problem.problem or problem.context}"
        at = mark.index if mark else -1
        tab = 0 <= at < len(content) and content[at : at + 1] == b"\t"
        hint = "indent with spaces: YAML does not allow tabs" if tab else ""
        builder.error((), message, hint, position=(line, column))
        return builder.result(None)
    except yaml.reader.ReaderError as problem:
        builder.error(
            (),
            f"not valid UTF-8 text (byte {problem.position + 1})",
            "save the file as UTF-8",
            position=(1, 1),
        )
        return builder.result(None)
    except yaml.YAMLError as problem:
        builder.error((), "cannot read YAML: " + " ".join(str(problem).split()), position=(1, 1))
        return builder.result(None)
    if node is None:
        return builder.result(None)
    data = builder.build(node, ())
    if isinstance(node, yaml.SequenceNode):
        builder.item_lines = [item.start_mark.line + 1 for item in node.value]
    elif isinstance(node, yaml.MappingNode):
        builder.item_lines = [value.start_mark.line + 1 for _, value in node.value]
    return builder.result(data)


class _Builder:
    def __init__(self, relative: str):
        self.relative = relative
        self.values: dict[YamlPath, tuple[int, int]] = {}
        self.keys: dict[YamlPath, tuple[int, int]] = {}
        self.raw: dict[YamlPath, str] = {}
        self.errors: list[ConfigError] = []
        self.item_lines: list[int] = []
        self._seen: set[int] = set()
        self.controls = False  # a key or text value holds an untrusted.CONTROL character

    def result(self, data: Any) -> SourceFile:
        return SourceFile(
            repo=Path("."),
            path=self.relative,
            data=data,
            errors=tuple(self.errors),
            item_lines=tuple(self.item_lines),
            _positions=Positions(self.values, self.keys, self.raw),
            no_controls=not self.controls,
        )

    def error(
        self, path: YamlPath, message: str, hint: str = "", *, position: tuple[int, int]
    ) -> None:
        loc = Loc(self.relative, position[0], position[1])
        self.errors.append(ConfigError(loc, format_path(path), message, hint))

    def build(self, node: yaml.Node, path: YamlPath) -> Any:
        position = (node.start_mark.line + 1, node.start_mark.column + 1)
        self.values[path] = position
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path, position)
        # An alias shares its node object; refusing it also rules out "billion laughs".
        if id(node) in self._seen:
            self.error(path, "YAML anchors and aliases are not supported", position=position)
            return None
        self._seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.error(path, f"unsupported YAML tag {_shown_tag(node.tag)}", position=position)
                return None
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        if node.tag != _MAP:
            self.error(path, f"unsupported YAML tag {_shown_tag(node.tag)}", position=position)
            return None
        return self._mapping(node, path)

    def _mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_position = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, PLAIN_STR):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                kind = describe_tag(key_node.tag)
                self.error(
                    (*path, str(shown)),
                    f"key {shown} was read as {kind}, not text",
                    f'quote it: "{shown}"',
                    position=key_position,
                )
                continue
            key = sys.intern(key_node.value)
            self._text(key)
            child = (*path, key)
            if key in first_seen:
                self.error(
                    child,
                    f"duplicate key '{key}' (first written on line {first_seen[key]})",
                    "remove one of them",
                    position=key_position,
                )
                continue
            first_seen[key] = key_position[0]
            self.keys[child] = key_position
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: YamlPath, position: tuple[int, int]) -> Any:
        tag = node.tag
        if tag == _STR:
            self._text(node.value)
            return shared(node.value)
        if tag == PLAIN_STR:
            self._text(node.value)
            if LEADING_ZERO.match(node.value) or NUMBER_IN_YAML_12.match(node.value):
                shown = "(hidden)" if is_secret_path(path) else node.value
                lost = " (the leading 0 would be lost)" if LEADING_ZERO.match(node.value) else ""
                self.error(
                    path,
                    f"{shown} reads as a number in other YAML tools{lost}",
                    "quote it" if is_secret_path(path) else f'quote it: "{shown}"',
                    position=position,
                )
            return shared(node.value)
        self.raw[path] = node.value
        if tag in TYPED:
            return self._typed(node, path, position)
        self.error(
            path,
            f"unsupported YAML tag {_shown_tag(tag)}",
            "only plain YAML values are allowed; to force text, quote it or write !!str",
            position=position,
        )
        return None

    def _text(self, value: str) -> None:
        if not value.isprintable() and CONTROL.search(value):  # isprintable: in C
            self.controls = True

    def _typed(self, node: yaml.ScalarNode, path: YamlPath, position: tuple[int, int]) -> Any:
        """A plain number, boolean, null or date, built by PyYAML's constructors; a value
        they cannot build (2026-02-30, 2026-13-01, an int of 5,000 digits) is an error
        at its line, whatever field it is in, never an exception."""
        try:
            value = TYPED[node.tag](node)
        except (ValueError, OverflowError, TypeError):
            shown = "(hidden)" if is_secret_path(path) else node.value[:40]
            kind = "date" if node.tag == TIMESTAMP else describe_tag(node.tag).split()[-1]
            self.error(
                path,
                f"{shown} is not a real {kind}",
                "correct it, or quote it if it is text" if not is_secret_path(path) else "",
                position=position,
            )
            return None
        return shared(value) if node.tag == TIMESTAMP else value


def _null(node: yaml.ScalarNode) -> None:
    return None


TYPED = {
    _INT: _SCALARS.construct_yaml_int,
    _BOOL: _SCALARS.construct_yaml_bool,
    _NULL: _null,
    _FLOAT: _SCALARS.construct_yaml_float,
    TIMESTAMP: _SCALARS.construct_yaml_timestamp,
}


def _shown_tag(tag: str) -> str:
    """A tag as it is written in the file: !!str, not tag:yaml.org,2002:str."""
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


# Values that repeat across files (dates, customer ids and kinds in the ledger, profile
# names) are kept as one object each: the loaded data is smaller, and so is the parse
# cache keeps one object per distinct date when it rebuilds them.
_SHARED: dict[Any, Any] = {}


def shared(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 64:  # ciphertexts, notes: rarely repeated
        return value
    if len(_SHARED) > 200_000:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


def is_secret_path(path: YamlPath) -> bool:
    """Values under a key naming a password are never shown in messages."""
    return any(isinstance(part, str) and "password" in part.lower() for part in path)


def describe_tag(tag: str) -> str:
    return {
        _INT: "a number",
        _FLOAT: "a number",
        _BOOL: "a boolean",
        _NULL: "null",
        TIMESTAMP: "a date",
        _MAP: "a mapping",
        _SEQ: "a list",
    }.get(tag, f"a {tag}")


def describe_value(value: Any) -> str:
    """What YAML turned a value into, in words (for "was read as ..." messages)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null (empty)"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


def format_path(path: YamlPath) -> str:
    """A YAML path as people write it: pppoe.password, price[1].from."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
