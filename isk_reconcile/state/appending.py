"""One appended ledger entry checked on its own (issue 12: `isk pay` in a fraction of a
full validation).

A repository that validated, plus one entry appended to one payments file, validates iff
the file still reads as its old entries followed by exactly the new one, and the new entry
passes the rules that span files: its id is used nowhere else, its customer exists, its
amount is at most billing.max_amount. Everything else the full validation looks at is
byte for byte what validated a moment ago (the caller proves that with fingerprints).

The old text is a byte-exact prefix of the new, and in a block list an item's content
ends where the next item's `-` starts: so only the tail from the last old entry's line
is read again, and must read as [that entry, the new one] (both as the loader reads them:
the same YAML reader, control characters, the model).

`appended_state` answers the State a full `load_state` would build, or None when it
cannot vouch for that (any surprise: an anchor used across items, a line break YAML
counts and Python does not, a list that is not a block list...). The caller then
validates the whole repository as before, which also words the errors. Never accepting
what the full validation refuses is tested against it (tests/state/test_appending.py).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from itertools import repeat
from pathlib import Path

from pydantic import ValidationError

from isk_reconcile.errors import Loc
from isk_reconcile.state import cachedlocations, policy
from isk_reconcile.state.lazyledger import entries_at, entry_ids, with_entry
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State

_ITEM_LINE = re.compile(r"( *)- ")


@dataclasses.dataclass(frozen=True)
class LedgerFile:
    """What the validated State says about one payments file."""

    relpath: str
    last: LedgerEntry | None  # the file's last entry (None: the file has none)
    last_line: int | None  # line of the last entry
    files: tuple[str, ...]  # the file of every entry of the ledger, in ledger order


def ledger_file(state: State, relpath: str) -> LedgerFile:
    file_of = cachedlocations.ledger_files(state.locations)  # one pass, no Loc per entry
    files = tuple(map(file_of.get, entry_ids(state.ledger), repeat("")))
    numbers = [n for n, file in enumerate(files) if file == relpath]
    # By place: a ledger from the state cache builds only the one entry asked for.
    last = entries_at(state.ledger, numbers[-1:])[0] if numbers else None
    line = cachedlocations.location(state.locations, ("ledger", last.id)).line if last else None
    return LedgerFile(relpath, last, line, files)


def item_indent(text: str | None, known: LedgerFile) -> int | None:
    """The column of the file's block list, read off the last entry's line; None when
    that line does not start a block list item (then parse the file to find out)."""
    if text is None or known.last_line is None:
        return None
    lines = text.split("\n", known.last_line)
    found = _ITEM_LINE.match(lines[known.last_line - 1]) if len(lines) >= known.last_line else None
    return len(found[1]) if found else None


def appended_state(
    repo: Path, before: State, known: LedgerFile, text: str, fields: dict[str, object]
) -> State | None:
    """The State after `text` (the old file's text plus the entry `fields`) replaced the
    file `known` describes in `before`; None: validate everything instead."""
    from isk_reconcile.state.yamlsource import parse_yaml

    if policy.outside_repository(repo, known.relpath) is not None:
        return None
    try:
        expected = LedgerEntry.model_validate(fields)
    except ValidationError:
        return None
    fits = expected.customer in before.customers
    if not fits or expected.amount > before.settings.billing.max_amount:
        return None
    if expected.id in entry_ids(before.ledger):
        return None
    skipped = (known.last_line or 1) - 1  # lines before the tail
    lines = text.split("\n", skipped)
    if len(lines) <= skipped:
        return None
    tail = parse_yaml(lines[skipped].encode("utf-8"), known.relpath)
    wanted = [known.last, expected] if known.last is not None else [expected]
    if tail.errors or policy.text_errors(tail) or not _reads_as(tail.data, wanted):
        return None
    if len(tail.item_lines) != len(wanted):
        return None
    return _with_entry(
        before, known, expected, Loc(known.relpath, skipped + tail.item_lines[-1], 1)
    )


def _reads_as(data: object, wanted: list[LedgerEntry]) -> bool:
    if not isinstance(data, list) or len(data) != len(wanted):
        return False
    try:
        return [LedgerEntry.model_validate(raw) for raw in data] == wanted
    except ValidationError:
        return False


def _with_entry(before: State, known: LedgerFile, entry: LedgerEntry, where: Loc) -> State | None:
    """`before` with `entry` where the loader puts it: after every entry of the files
    that sort before its own, or are its own (the ledger is in file order)."""
    files = list(known.files)
    if files != sorted(files):
        return None  # not in file order: let the full validation build it
    at = bisect.bisect_right(files, where.file)
    ledger = with_entry(before.ledger, at, entry)
    locations = cachedlocations.with_location(before.locations, ("ledger", entry.id), where)
    return dataclasses.replace(before, ledger=ledger, locations=locations)
