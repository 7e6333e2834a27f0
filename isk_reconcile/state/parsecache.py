"""The parse cache: parsed YAML files by the sha256 of their bytes, as plain JSON data.

A state repository is untrusted input, and so is anything that could be planted next to
it, so the cache is built to be harmless whatever its bytes are:

- JSON, never pickle: loading it cannot run code or build objects other than dicts,
  lists, strings, numbers, booleans and None. Dates are written as ISO text plus the
  list of paths where they stood, and are rebuilt only from that text.
- Every entry is checked on use (shapes and types); an entry that does not check out is a
  miss and is parsed again. A corrupt, truncated, foreign or older file is treated as
  absent and rewritten. Nothing in it is ever an error.
- It lives outside the work tree: `$XDG_CACHE_HOME/isk/<key>/parse-cache.json` (default
  `~/.cache`), where `<key>` is derived from the repository's resolved path, so a pull
  request cannot plant one. A cache that would lie inside the repository is used only when
  XDG_CACHE_HOME names it explicitly (CI keeps its cache in the project directory), it is
  not under state/ or payments/, and git does not track it; otherwise it is ignored.

One file (not one per YAML file) because a repo has 10,000 customer files: a single read
and, when something changed, a single write. Only entries used by the last load are
written back, so the file does not grow with history. A payments file the fast reader
(ledgertext) read is not kept (yamlsource.SourceFile.worth_caching): reading it again
costs about what decoding its entry does, and the 123,000 entries of a reference ledger
cost more to write than both.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from isk_reconcile.errors import ConfigError, Loc

# The cache is only valid for the code that wrote it: this module and the YAML reader
# (construction rules, messages), and the PyYAML version.
_HERE = Path(__file__).resolve().parent
_READERS = ("parsecache.py", "yamlsource.py", "ledgertext.py")
_CODE_DIGEST = hashlib.sha256(
    b"".join((_HERE / name).read_bytes() for name in _READERS)
).hexdigest()[:16]
CACHE_FORMAT = f"isk-parse-cache/4:{_CODE_DIGEST}:{yaml.__version__}"
CACHE_NAME = "parse-cache.json"
# Directories of the repository whose files isk reads: a cache is never taken from there.
INPUT_DIRS = ("state", "payments")

# (data, errors, item lines) of one parsed file, as yamlsource.SourceFile holds them.
Entry = tuple[Any, tuple[ConfigError, ...], tuple[int, ...]]


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/isk`, or `~/.cache/isk` (a relative XDG_CACHE_HOME is ignored,
    as the XDG spec says)."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"
    return base / "isk"


def cache_file(repo: Path) -> Path:
    """Where the parse cache of `repo` lives: one directory per resolved repository path."""
    resolved = Path(repo).resolve()
    key = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:24]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in resolved.name)[:40]
    return cache_root() / f"{name}-{key}" / CACHE_NAME


def usable_location(repo: Path, file: Path) -> bool:
    """Whether a cache at `file` may be used for `repo` (see the module docstring)."""
    resolved_repo = Path(repo).resolve()
    resolved = file.parent.resolve() / file.name
    if not resolved.is_relative_to(resolved_repo):
        return True
    inside = resolved.relative_to(resolved_repo)
    if inside.parts and inside.parts[0] in INPUT_DIRS:
        return False
    if not os.path.isabs(os.environ.get("XDG_CACHE_HOME", "")):
        return False  # only an explicitly configured directory may sit in the repository
    return not _tracked_by_git(resolved_repo, inside)


def _tracked_by_git(repo: Path, relative: Path) -> bool:
    """Whether git tracks anything at `relative` (a committed cache is a planted one)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "-z", "--", relative.parent.as_posix()],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell: do not trust it
    if listed.returncode != 0:
        return b"not a git repository" not in listed.stderr.lower()
    return bool(listed.stdout.strip(b"\0"))


class ParseCache:
    """Parsed files by sha256 of their bytes, loaded from and saved to one JSON file."""

    def __init__(
        self,
        repo: Path,
        *,
        file: Path | None = None,
        seed: Path | None = None,
        owner: Path | None = None,
    ):
        """The cache of `repo` (at `file`, default `cache_file(repo)`), started from the
        cache at `seed` when it has none yet. `owner` is the repository whose location rules
        apply (default `repo`; a base checked out in a scratch directory has the work tree)."""
        self.file = cache_file(repo) if file is None else file
        owner = repo if owner is None else owner
        self.enabled = usable_location(owner, self.file)
        self._raw: dict[str, Any] = {}
        self._decoded: dict[bytes, Entry] = {}
        self._used: dict[str, Any] = {}
        self._changed = False
        if self.enabled:
            self._raw = _read(self.file)
            self._changed = not self._raw and self.file.exists()
            if not self._raw and seed is not None and usable_location(owner, seed):
                self._raw = _read(seed)

    def get(self, digest: bytes) -> Entry | None:
        """The entry of a file with this sha256, or None (absent or not well-formed)."""
        if digest in self._decoded:
            return self._decoded[digest]
        key = digest.hex()
        raw = self._raw.get(key)
        if raw is None:
            return None
        entry = decode_entry(raw)
        if entry is None:  # hostile or damaged: a miss, rewritten on save
            self._changed = True
            return None
        self._decoded[digest] = entry
        self._used[key] = raw
        return entry

    def put(self, digest: bytes, entry: Entry, dates: list[list[Any]] | None = None) -> None:
        """Remember `entry`; `dates`: its date paths (as encode_entry finds them), if known."""
        self._decoded[digest] = entry
        self._used[digest.hex()] = _written(entry, dates)
        self._changed = True

    def save(self) -> None:
        if not self.enabled or (not self._changed and len(self._used) == len(self._raw)):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    # Entries read from the file hold their dates rebuilt in place; the
                    # date paths are unchanged, so writing them back as ISO text is exact.
                    document = {"format": CACHE_FORMAT, "entries": self._used}
                    # dumps, not dump: only the one-shot encoder is the C one.
                    text = json.dumps(document, default=_ISO, check_circular=False)
                    write_in_parts(out, text)
                os.replace(temporary, self.file)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        # OSError: a read-only home (works, without the cache); AttributeError (_ISO):
        # never, parsed data holds no other objects than dates.
        except (OSError, TypeError, ValueError, AttributeError):
            return
        self._raw, self._changed = dict(self._used), False


def write_in_parts(out: Any, text: str) -> None:
    """out.write(text), a megabyte at a time: the encoded copy of a 30 MB cache document
    is then never whole in memory beside the text (peak memory of a cold load)."""
    step = 1 << 20
    for start in range(0, len(text), step):
        out.write(text[start : start + step])


def _iso(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not plain data: {type(value).__name__}")


# What json.dumps calls for each date and datetime of the parsed data (133,000 in a
# reference ledger): value.isoformat(), without a Python function of our own per date.
_ISO = operator.methodcaller("isoformat")


def _read(file: Path) -> dict[str, Any]:
    """The entries of a cache file; {} for anything but a well-formed current one."""
    try:
        with file.open("rb") as handle:
            loaded = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(loaded, dict) or loaded.get("format") != CACHE_FORMAT:
        return {}
    entries = loaded.get("entries")
    return entries if isinstance(entries, dict) else {}


# --- one entry: [data with dates as text, date paths, errors, item lines] ------------------


def encode_entry(entry: Entry) -> list[Any]:
    """The entry as plain JSON data, as it stands in the cache file."""
    return json.loads(json.dumps(_written(entry), default=_iso))


def _written(entry: Entry, known: list[list[Any]] | None = None) -> list[Any]:
    """The entry as `save` writes it: the data itself (not a copy, which at 123,000
    ledger entries costs more time and memory than the rest of the cache; json.dumps
    writes its dates as ISO text, `_iso`), and the paths where those dates stand."""
    data, errors, item_lines = entry
    dates = _date_paths(data) if known is None else known
    shown = [
        [e.loc.file, e.loc.line, e.loc.column, e.field, e.message, e.hint, e.severity]
        for e in errors
    ]
    return [data, dates, shown, list(item_lines)]


def _date_paths(data: Any) -> list[list[Any]]:
    """["d"|"t", *path] of every date and datetime in `data`."""
    dates: list[list[Any]] = []
    if isinstance(data, dict | list):
        _find_dates(data, [], dates)
    elif isinstance(data, date):
        dates.append(["t" if isinstance(data, datetime) else "d"])
    return dates


_PLAIN = (str, int, bool, float, type(None))


def _find_dates(
    value: dict[str, Any] | list[Any], path: list[str | int], dates: list[list[Any]]
) -> None:
    """Append ["d"|"t", *path] for every date and datetime in `value` (at `path`)."""
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        kind = type(item)
        if kind in _PLAIN:  # nearly all: one test, no call
            continue
        if isinstance(item, dict | list):
            _find_dates(item, [*path, key], dates)
        elif isinstance(item, datetime):
            dates.append(["t", *path, key])
        elif isinstance(item, date):
            dates.append(["d", *path, key])


def decode_entry(raw: Any) -> Entry | None:
    """Rebuild an entry; None when anything in it is not what `encode_entry` writes."""
    if not (isinstance(raw, list) and len(raw) == 4):
        return None
    data, dates, shown, item_lines = raw
    errors = _decode_errors(shown)
    if errors is None or not _is_int_list(item_lines) or not isinstance(dates, list):
        return None
    try:
        for spec in dates:
            data = _restore_date(data, spec)
    except (TypeError, ValueError, KeyError, IndexError):
        return None
    return data, errors, tuple(item_lines)


_DATES: dict[str, date] = {}  # one object per distinct date (the ledger repeats them)


def _restore_date(data: Any, spec: Any) -> Any:
    """Replace the ISO text at `spec`'s path by its date; returns the (new) root."""
    if not isinstance(spec, list) or not spec or spec[0] not in ("d", "t"):
        raise ValueError("bad date spec")
    kind, path = spec[0], spec[1:]
    if not path:
        return _parse_date(kind, data)
    parent = data
    for step in path[:-1]:
        parent = _child(parent, step)
    last = path[-1]
    _child(parent, last)  # checks the step
    parent[last] = _parse_date(kind, parent[last])
    return data


def _child(container: Any, step: Any) -> Any:
    if isinstance(container, dict) and type(step) is str:
        return container[step]
    if isinstance(container, list) and type(step) is int and 0 <= step < len(container):
        return container[step]
    raise KeyError(step)


def _parse_date(kind: str, text: Any) -> date:
    if type(text) is not str:
        raise TypeError("a date is written as text")
    if kind == "t":
        return datetime.fromisoformat(text)
    known = _DATES.get(text)
    if known is None:
        if len(text) != 10:
            raise ValueError(text)
        known = date.fromisoformat(text)
        if len(_DATES) > 100_000:
            _DATES.clear()
        _DATES[text] = known
    return known


_ERROR_TYPES = (str, int, int, str, str, str, str)


def _decode_errors(shown: Any) -> tuple[ConfigError, ...] | None:
    if not isinstance(shown, list):
        return None
    errors = []
    for item in shown:
        if not (isinstance(item, list) and len(item) == len(_ERROR_TYPES)):
            return None
        if any(type(value) is not kind for value, kind in zip(item, _ERROR_TYPES, strict=True)):
            return None
        file, line, column, field, message, hint, severity = item
        if severity not in ("error", "warning"):
            return None
        errors.append(ConfigError(Loc(file, line, column), field, message, hint, severity))
    return tuple(errors)


def _is_int_list(value: Any) -> bool:
    return isinstance(value, list) and all(type(item) is int for item in value)
