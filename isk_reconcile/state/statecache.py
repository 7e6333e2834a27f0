"""The validated-state cache: a repository whose files are byte for byte those of the last
successful load is not validated again (issue 12).

Keyed by the sha256 of every file under state/ and payments/ (and their names), and by the
code that validated them (every module of isk_reconcile.state, errors.py, the pydantic and
PyYAML versions). Stored next to the parse cache (see parsecache: outside the work tree,
plain JSON, the same location rules), and as harmless as it:

- the small parts (settings, routers, profiles, customers) are validated again by their
  pydantic models on load (strict types: a hand-made cache cannot smuggle in a value the
  loader would refuse for a type);
- the ledger (123,000 entries for 10,000 customers) is stored as columns whose types and
  allowed values are checked column by column (ledgercolumns.from_stored: the checks a
  cold load makes of a payments file's entries), and entries are built without a
  pydantic round each when first used (the same field values the validated models had);
- anything that does not check out is a miss: the repository is loaded and validated from
  its files as usual, and the cache rewritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
import typing
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pydantic
import yaml

from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.forking import Helper
from isk_reconcile.state import cachedcustomers, cachedlocations, fileindex, ledgercolumns
from isk_reconcile.state.lazyledger import (
    FIELDS,
    LazyLedger,
    entries_at,
    entry_ids,
    unbuilt_columns,
)
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.parsecache import (
    INPUT_DIRS,
    cache_file,
    usable_location,
    write_in_parts,
)
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings

_STATE_DIR = Path(__file__).resolve().parent
_CODE = hashlib.sha256()
for _module in sorted(_STATE_DIR.glob("*.py")):
    _CODE.update(_module.read_bytes())
_CODE.update((_STATE_DIR.parent / "errors.py").read_bytes())
FORMAT = f"isk-state-cache/2:{_CODE.hexdigest()[:16]}:{pydantic.VERSION}:{yaml.__version__}"
NAME = "state-cache.json"

_LEDGER_FIELDS = FIELDS
_ERROR_TYPES = (str, int, int, str, str, str, str)
_STATE_FIELDS = ("settings", "routers", "profiles", "customers", "ledger", "locations", "warnings")
# What this module knows how to store. A State or LedgerEntry that gains a field is not
# cached (every load validates) until the encoding here learns it: slower, never wrong.
COMPATIBLE = (
    tuple(LedgerEntry.model_fields) == _LEDGER_FIELDS
    and tuple(item.name for item in dataclasses.fields(State)) == _STATE_FIELDS
)


class Miss(Exception):
    """The cache does not hold this repository as it is now."""


def state_cache_file(repo: Path) -> Path:
    return cache_file(repo).with_name(NAME)


def fingerprint(repo: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file the loader could read (and any other file in
    those directories: a new one can only make a miss). Symlinked directories are listed
    by name, not walked. Only files changed since the last command are read (fileindex)."""
    index_file = state_cache_file(repo).with_name(fileindex.NAME)
    usable = usable_location(repo, index_file)
    found, remember = fileindex.hashes(
        repo, INPUT_DIRS, fileindex.read(index_file) if usable else None
    )
    if remember is not None:
        write_json(index_file, repo, remember)
    return found


def fingerprint_and_load(repo: Path, *, keep: bool = False) -> tuple[dict[str, str], State | None]:
    """`fingerprint(repo)`, and `load(repo, that, keep=keep)` (None: a miss). The cache
    file is decoded (a tenth of a second at 10,000 customers, holding the interpreter
    lock) while a helper process (forking.Helper) takes the fingerprint (stat and, for a
    changed file, hash every input: most of another tenth). The document is judged by
    the fingerprint exactly as `load` judges it: which one is taken first changes nothing,
    as the document names the files it was made from. Without a helper (a cache file
    under HELPER_FROM bytes: a fork would cost about what it saves), or when it sends no
    fingerprint in time, this process takes it."""
    helper = Helper.start(lambda: fingerprint(repo)) if _worth_a_helper(repo) else None
    if helper is None:
        files = fingerprint(repo)
        return files, _loaded_or_none(repo, files, keep, _document_or_miss(repo))
    with helper:
        document = _document_or_miss(repo)
        files = _fingerprint_or_none(helper.result(time.monotonic() + HELPER_DEADLINE_S))
    files = fingerprint(repo) if files is None else files
    return files, _loaded_or_none(repo, files, keep, document)


HELPER_FROM = 4_000_000  # bytes of state cache: about 2,000 customers
HELPER_DEADLINE_S = 60.0  # then this process takes the fingerprint itself


def _worth_a_helper(repo: Path) -> bool:
    try:
        return state_cache_file(repo).stat().st_size >= HELPER_FROM
    except OSError:
        return False


def _fingerprint_or_none(value: Any) -> dict[str, str] | None:
    """`value` when it is a fingerprint (what the helper sent), else None."""
    if not isinstance(value, dict):
        return None
    if not all(type(key) is str and type(digest) is str for key, digest in value.items()):
        return None
    return value


def _document_or_miss(repo: Path) -> Any:
    """The cache file's JSON document (None: there is none), or the Miss it makes."""
    try:
        return _read(_usable_file(repo))
    except Miss as miss:
        return miss


def _loaded_or_none(repo: Path, files: dict[str, str], keep: bool, document: Any) -> State | None:
    if isinstance(document, Miss):
        return None
    try:
        return _load_document(repo, document, files, keep)
    except Miss:
        return None


def load(repo: Path, files: dict[str, str], *, keep: bool = False) -> State:
    """The cached State of `repo` if its files are exactly `files`; else Miss. `keep`:
    remember the document for `save_appended`."""
    return _load_document(repo, _read(_usable_file(repo)), files, keep)


def _usable_file(repo: Path) -> Path:
    file = state_cache_file(repo)
    if not COMPATIBLE or not usable_location(repo, file):
        raise Miss("location")
    return file


def _load_document(repo: Path, document: Any, files: dict[str, str], keep: bool) -> State:
    global _kept
    file = state_cache_file(repo)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise Miss("format")
    appended: list[Any] = []
    if document.get("files") != files:
        appended = _appended_for(document, _read(file.with_name(TAIL_NAME)), files)
    try:
        ids = document["ledger"][0]
        document["locations"] = cachedlocations.unstored(document["locations"], ids)
        for row in appended:
            _insert(document, row)
        state = _decode(document, lambda: file.unlink(missing_ok=True))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as problem:
        raise Miss("malformed") from problem  # pydantic's ValidationError is a ValueError
    _kept = (state, document, appended) if keep else None
    return state


def _read(file: Path) -> Any:
    try:
        with file.open("rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as problem:
        raise Miss("unreadable") from problem


def save(repo: Path, files: dict[str, str], state: State) -> None:
    """Remember `state` for exactly these files (best effort: never an error)."""
    if COMPATIBLE:
        _write(repo, lambda: {"format": FORMAT, "files": files, "generation": _generation(),
                              **_encode(state)})  # fmt: skip


# The document the last `load(..., keep=True)` decoded (with the appended entries it
# applied), and the State it made: a writer that appends one ledger entry
# (`save_appended`) encodes only that entry.
_kept: tuple[State, dict[str, Any], list[Any]] | None = None

# Appended entries are written to a small file beside the state cache, not into it: `isk
# pay` rewrote 29 MB for one payment. The tail names the generation of the document it
# extends (a full write makes a new one, so an old tail never applies to it) and the
# files it holds; after TAIL_LIMIT entries the next append writes the whole document.
TAIL_NAME = "state-cache-appended.json"
TAIL_LIMIT = 500


def save_appended(repo: Path, files: dict[str, str], before: State, after: State) -> None:
    """`save(repo, files, after)` where `after` is `before` plus one ledger entry (at any
    place) and one location: from the document `before` was loaded from when it was kept,
    adding the entry to the tail file instead of encoding 10,000 customers again."""
    global _kept
    kept, _kept = _kept, None
    added = len(after.ledger) - len(before.ledger)
    if kept is None or kept[0] is not before or added != 1:
        save(repo, files, after)
        return
    _, document, appended = kept
    at = _inserted_at(entry_ids(after.ledger), entry_ids(before.ledger))  # where it went
    entry = entries_at(after.ledger, [at])[0]
    values = [getattr(entry, name) for name in _LEDGER_FIELDS]
    values[3] = values[3].isoformat()
    where = cachedlocations.location(after.locations, ("ledger", entry.id))
    row = [at, values, ["ledger", entry.id, where.file, where.line, where.column]]
    generation = document.get("generation")
    if len(appended) >= TAIL_LIMIT or type(generation) is not str:
        # Copies: `before` (and so `after`) may still read the kept document's columns.
        whole = {**document, "files": files, "generation": _generation(),
                 "ledger": [list(column) for column in document["ledger"]],
                 "locations": [list(column) for column in document["locations"]]}  # fmt: skip
        _insert(whole, row)
        places = cachedlocations.stored(whole["locations"], whole["ledger"][0])
        _write(repo, lambda: {**whole, "locations": places})
        return
    tail = {"format": FORMAT, "generation": generation, "files": _digest(files),
            "entries": [*appended, row]}  # fmt: skip
    write_json(state_cache_file(repo).with_name(TAIL_NAME), repo, tail)


def _inserted_at(after: typing.Sequence[str], before: typing.Sequence[str]) -> int:
    """Where the one id `after` has more than `before` stands. Ids are unique, so the two
    agree before that place and nowhere after it: a binary search, not 123,000 steps."""
    low, high = 0, len(before)
    while low < high:
        middle = (low + high) // 2
        if after[middle] == before[middle]:
            low = middle + 1
        else:
            high = middle
    return low


def _appended_for(document: dict[str, Any], tail: Any, files: dict[str, str]) -> list[Any]:
    """The entries the tail appends to `document`, when they make exactly `files`."""
    if not isinstance(tail, dict) or tail.get("format") != FORMAT:
        raise Miss("changed")
    generation = document.get("generation")
    if type(generation) is not str or tail.get("generation") != generation:
        raise Miss("changed")
    if tail.get("files") != _digest(files) or not isinstance(tail.get("entries"), list):
        raise Miss("changed")
    return tail["entries"]


def _insert(document: dict[str, Any], row: Any) -> None:
    """Put one appended entry (its place in the ledger, its field values, its location
    row) into the document's columns, in place (no State reads them yet)."""
    at, values, location = row
    if type(at) is not int or not 0 <= at <= len(document["ledger"][0]):
        raise IndexError("appended entry out of place")
    for column, value in zip(document["ledger"], values, strict=True):
        column.insert(at, value)
    for column, value in zip(document["locations"], location, strict=True):
        column.append(value)


def _digest(files: dict[str, str]) -> str:
    """One digest of a fingerprint (the tail names the files it holds without listing
    10,000 of them)."""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def _generation() -> str:
    return os.urandom(12).hex()


def _write(repo: Path, make: typing.Callable[[], dict[str, Any]]) -> None:
    write_json(state_cache_file(repo), repo, make)


def read_keyed(file: Path, repo: Path, wanted: str) -> dict[str, Any] | None:
    """The JSON document of the cache `file` of `repo` when its "key" is `wanted`; None
    when the location is not usable, the file unreadable or not JSON, or another key."""
    if not usable_location(repo, file):
        return None
    try:
        with file.open("rb") as handle:
            document = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("key") != wanted:
        return None
    return document


def write_json(
    file: Path, repo: Path, document: dict[str, Any] | typing.Callable[[], dict[str, Any]]
) -> None:
    """Replace the cache `file` of `repo` with `document` (or what `document()` makes,
    only when the location is usable), atomically; best effort: never an error."""
    if not usable_location(repo, file):
        return
    try:
        content = document() if callable(document) else document
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                # dumps, not dump: only the one-shot encoder is the C one.
                write_in_parts(out, json.dumps(content, check_circular=False))
            os.replace(temporary, file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, TypeError, ValueError):
        return


# --- encoding -----------------------------------------------------------------------------


def _dump(model: pydantic.BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _encode(state: State) -> dict[str, Any]:
    # A ledger loaded from the files is columns not built into entries yet (loader): then
    # they are written as they are; built entries are turned into columns in C.
    columns = unbuilt_columns(state.ledger) or ledgercolumns.columns_of(state.ledger)
    ledger = ledgercolumns.stored(columns)
    locations = cachedlocations.encode(state.locations)
    return {
        "settings": _dump(state.settings),
        "routers": [_dump(router) for router in state.routers.values()],
        "profiles": [_dump(profile) for profile in state.profiles.values()],
        "customers": cachedcustomers.encode(state.customers.values()),
        "ledger": ledger,
        "locations": cachedlocations.stored(locations, ledger[0]),
        "warnings": [_error_fields(warning) for warning in state.warnings],
    }


def _error_fields(error: ConfigError) -> list[Any]:
    return [error.loc.file, error.loc.line, error.loc.column, error.field, error.message,
            error.hint, error.severity]  # fmt: skip


def _decode(document: dict[str, Any], damaged: typing.Callable[[], None] = lambda: None) -> State:
    """The State of a cache document; `damaged`: what to do when a stored customer,
    validated when first looked up (cachedcustomers), does not validate."""
    routers = [Router.model_validate(raw) for raw in _list(document["routers"])]
    profiles = [Profile.model_validate(raw) for raw in _list(document["profiles"])]
    return State(
        settings=Settings.model_validate(document["settings"]),
        routers=MappingProxyType({router.name: router for router in routers}),
        profiles=MappingProxyType({profile.name: profile for profile in profiles}),
        customers=cachedcustomers.decode(document["customers"], damaged),
        ledger=_ledger(document["ledger"]),
        locations=cachedlocations.decode(document["locations"]),
        warnings=tuple(_warning(raw) for raw in _list(document["warnings"])),
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("a list was expected")
    return value


def _ledger(columns: Any) -> LazyLedger:
    """Entries from checked columns (ledgercolumns.from_stored), built when first used."""
    return LazyLedger(ledgercolumns.from_stored(columns), ledgercolumns.entry_builder())


def _warning(raw: Any) -> ConfigError:
    if not (isinstance(raw, list) and len(raw) == len(_ERROR_TYPES)):
        raise ValueError("warning")
    if any(type(value) is not kind for value, kind in zip(raw, _ERROR_TYPES, strict=True)):
        raise TypeError("warning")
    file, line, column, field, message, hint, severity = raw
    if severity not in ("error", "warning"):
        raise ValueError("severity")
    return ConfigError(Loc(file, line, column), field, message, hint, severity)
