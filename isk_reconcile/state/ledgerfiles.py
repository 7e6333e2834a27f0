"""The payments files of a load (SPEC §2): each file's entries checked as columns when
they are all valid (ledgercolumns: a cold load of 123,000 entries builds none), else
validated one by one through LedgerEntry with every error located; ids unique across
files. Mixed into the loader (state.loader._Loading), which provides reading, errors,
validation and the locations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import chain, repeat
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state import cachedlocations, ledgercolumns
from isk_reconcile.state.cachedlocations import CachedLocations, Key
from isk_reconcile.state.layout import PAYMENTS_DIR
from isk_reconcile.state.lazyledger import FIELDS, LazyLedger
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.ledgercolumns import LedgerPart
from isk_reconcile.state.ledgertext import PlainReader
from isk_reconcile.state.messages import Placed
from isk_reconcile.state.yamlsource import Parser, SourceFile, YamlPath, describe_value

_LEDGER_FILE = TypeAdapter(list[LedgerEntry])
Place = tuple[str, int]  # file, line


class LedgerFiles:
    """Uses the loader's `read`, `error`, `expect_mapping`, `validate`, `yaml_files`,
    its `locations` and its fast reader (`plain`)."""

    errors: list[ConfigError]
    locations: dict[tuple[str, str], Loc]
    plain: PlainReader

    def read(self, relative: str, parse: Parser | None = None) -> SourceFile:  # the loader's
        raise NotImplementedError

    def error(self, *args: Any, **kwargs: Any) -> None:  # the loader's
        raise NotImplementedError

    def expect_mapping(self, source: SourceFile, path: YamlPath, value: Any, label: str) -> bool:
        raise NotImplementedError  # the loader's

    def validate(
        self,
        model: type[BaseModel],
        raw: dict[str, Any],
        placed: Placed,
        translate: Callable[[tuple], tuple[YamlPath, bool]] | None = None,
    ) -> Any:
        raise NotImplementedError  # the loader's

    def yaml_files(self, directory: str, *, recursive: bool) -> list[str]:  # the loader's
        raise NotImplementedError

    def ledger(self) -> list[LedgerPart]:
        parts: list[LedgerPart] = []
        first_seen: dict[str, Place] = {}
        for relative in self.yaml_files(PAYMENTS_DIR, recursive=True):
            parts.append(self.ledger_file(relative, first_seen, self.plain.ledger))
        self.plain = PlainReader()  # what it learnt is no longer needed: free it
        return parts

    def ledger_file(
        self, relative: str, first_seen: dict[str, Place], parse: Parser | None = None
    ) -> LedgerPart:
        """The valid entries of one payments file; `first_seen`: where each id was seen
        (across files: an id used twice is an error at its second place)."""
        source = self.read(relative, parse)
        if source.data is None:
            return LedgerPart(source, ledgercolumns.columns_of(()))
        if not isinstance(source.data, list):
            self.error(
                source,
                (),
                f"a payments file is a YAML list of entries, not {describe_value(source.data)}",
                "start each entry with '- id: ...'",
            )
            return LedgerPart(source, ledgercolumns.columns_of(()))
        part = self.checked_columns(source, first_seen) or self.checked_entries(source, first_seen)
        # A big ledger file's positions are only needed again if something refers to
        # them; then they are re-read. Dropping them halves the peak memory.
        source.forget_positions()
        return part

    def checked_columns(
        self, source: SourceFile, first_seen: dict[str, Place]
    ) -> LedgerPart | None:
        """The file's entries checked as columns (ledgercolumns.from_parsed), when all of
        them are valid, with ids used nowhere before; None for anything else. Their
        locations are the part's (`all_locations`), not one Loc each."""
        columns = ledgercolumns.from_parsed(source.data)
        if columns is None or len(source.item_lines) != len(source.data):
            return None
        ids = columns[0]
        if len(set(ids)) != len(ids) or not first_seen.keys().isdisjoint(ids):
            return None
        places = zip(repeat(source.path, len(ids)), source.item_lines, strict=True)
        first_seen.update(zip(ids, places, strict=True))
        return LedgerPart(source, columns)

    def checked_entries(self, source: SourceFile, first_seen: dict[str, Place]) -> LedgerPart:
        """The file's valid entries, each one validated, every error recorded."""
        lines = source.item_lines
        batch: list[tuple[dict[str, Any], Placed]] = []
        for index, raw in enumerate(source.data):
            is_mapping = isinstance(raw, dict)
            entry_id = raw.get("id") if is_mapping else None
            # A non-ASCII id (a look-alike) is named by position: its message spells it out.
            is_text = isinstance(entry_id, str)
            label = entry_id if is_text and entry_id and entry_id.isascii() else f"[{index}]"
            placed = Placed(source, (index,), label)
            if not is_mapping:
                self.expect_mapping(source, (index,), raw, label)
                continue
            here = (source.path, lines[index] if index < len(lines) else 1)
            if is_text:
                if entry_id in first_seen:
                    seen = Loc(*first_seen[entry_id], 1)
                    self.error(
                        source,
                        (index, "id"),
                        f"duplicate ledger id '{entry_id}' (also at {seen})",
                        "every entry needs its own id; correct a mistake with a new entry",
                        label=label,
                    )
                    continue
                first_seen[entry_id] = here
                self.locations[("ledger", entry_id)] = Loc(*here, 1)
            batch.append((raw, placed))
        valid = self.validate_entries(batch)
        entries = [entry for entry, _ in valid]
        return LedgerPart(source, ledgercolumns.columns_of(entries), [p for _, p in valid])

    def validate_entries(
        self, batch: list[tuple[dict[str, Any], Placed]]
    ) -> list[tuple[LedgerEntry, Placed]]:
        """One pydantic call per file (10,000 entries); entry by entry only when one fails."""
        try:
            valid = _LEDGER_FILE.validate_python([raw for raw, _ in batch])
        except ValidationError:
            checked = ((self.validate(LedgerEntry, raw, placed), placed) for raw, placed in batch)
            return [(entry, placed) for entry, placed in checked if entry is not None]
        return list(zip(valid, (placed for _, placed in batch), strict=True))


def all_locations(known: dict[Key, Loc], parts: list[LedgerPart]) -> Mapping[Key, Loc]:
    """`known` and the places of the entries checked as columns: five columns, as the
    state cache stores them (cachedlocations), not a Loc made for each of 123,000."""
    fast = [part for part in parts if part.placed is None and part.columns[0]]
    if not fast:
        return MappingProxyType(known)
    columns = [list(column) for column in cachedlocations.encode(known)]
    kinds, keys, files, lines, starts = columns
    for part in fast:
        ids = part.columns[0]
        kinds.extend(repeat("ledger", len(ids)))
        keys.extend(ids)
        files.extend(repeat(part.source.path, len(ids)))
        lines.extend(part.source.item_lines)
        starts.extend(repeat(1, len(ids)))
    return CachedLocations(columns)


def whole_ledger(parts: list[LedgerPart]) -> LazyLedger:
    """The whole ledger in file order, its entries built when first looked at."""
    columns = [list(chain.from_iterable(part.columns[n] for part in parts)) for n in _FIELDS]
    return LazyLedger(columns, ledgercolumns.entry_builder())


_FIELDS = range(len(FIELDS))
