"""The outbox: an append-only record of every notification attempt, kept in the state
repository (notifications/outbox/YYYY-MM.yaml) so it survives CI's fresh machines and is
audited like everything else in git. A (key, channel) with a successful record is sent;
failed attempts count towards retries and backoff. It is written only under the
repository's write lock (state/lock.py), the one `isk pay` and every other writer holds.

The file is untrusted like every repository file: parsed as plain YAML values, each
record validated; a malformed record is an error naming file:line (never skipped: a
skipped record could mean a message sent twice)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, ValidationError

from isk_reconcile.errors import IskError
from isk_reconcile.notify.events import STATUS_EVENTS, Told
from isk_reconcile.state.writer import yaml_scalar
from isk_reconcile.state.yamlsource import parse_yaml

OUTBOX_DIR = "notifications/outbox"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: StrictStr
    event: StrictStr
    customer: StrictStr | None = None
    channel: StrictStr
    to: StrictStr = ""
    as_of: StrictStr = ""
    time: datetime
    ok: StrictBool
    attempt: StrictInt = 1
    reply: StrictStr = ""  # the gateway's message id
    error: StrictStr = ""
    note: StrictStr = ""  # e.g. sent without its payment link, and why


Item = TypeVar("Item", bound=BaseModel)


def outbox_path(when: datetime) -> str:
    return f"{OUTBOX_DIR}/{when:%Y-%m}.yaml"


def read_records(repo: Path) -> list[Record]:
    """Every record, oldest file first, in file order."""
    return read_items(repo, OUTBOX_DIR, Record, "the outbox must be a YAML list of records")


def read_items(repo: Path, folder: str, model: type[Item], not_a_list: str) -> list[Item]:
    """The items of every `folder/*.yaml` (an append-only list per month, committed to the
    state repository, so untrusted): oldest file first; the first problem is one error
    naming file:line."""
    directory = repo / folder
    if not directory.is_dir():
        return []
    items: list[Item] = []
    for path in sorted(directory.glob("*.yaml")):
        relative = path.relative_to(repo).as_posix()
        parsed = parse_yaml(path.read_bytes(), relative)
        if parsed.errors:
            raise IskError(str(parsed.errors[0]))
        if parsed.data is None:
            continue
        if not isinstance(parsed.data, list):
            raise IskError(f"{relative}:1:1: {not_a_list}")
        for index, item in enumerate(parsed.data):
            line = parsed.item_lines[index] if index < len(parsed.item_lines) else 1
            try:
                items.append(model.model_validate(item))
            except ValidationError as problem:
                first = problem.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "record"
                raise IskError(f"{relative}:{line}: {where}: {first['msg']}") from None
    return items


def record_text(record: Record) -> str:
    """One list item, every value written as a scalar that reads back as itself."""
    values = record.model_dump()
    values["time"] = record.time.isoformat(timespec="seconds")
    lines = []
    for name, value in values.items():
        if value in ("", None) and name not in ("key", "channel"):
            continue
        lines.append(f"{'- ' if not lines else '  '}{name}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def append_record(repo: Path, record: Record) -> str:
    """Append `record` to its month's file and fsync; returns the file's relative path."""
    relative = outbox_path(record.time)
    header = "# Notifications sent by `isk notify send` (append-only; see docs/notifications.md)\n"
    append_text(repo, relative, record_text(record), header)
    return relative


def append_text(repo: Path, relative: str, text: str, header: str) -> None:
    """Append `text` (list items) to `relative`, starting a new file with `header`, and
    fsync. Appending (never rewriting) keeps earlier records byte for byte; a last line
    without its newline (a hand edit) gets one first."""
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.stat().st_size:
        with target.open("rb") as existing:
            existing.seek(-1, os.SEEK_END)
            if existing.read(1) != b"\n":
                text = "\n" + text
    else:
        text = header + text
    handle = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(handle, text.encode("utf-8"))
        os.fsync(handle)
    finally:
        os.close(handle)


def signature(repo: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every outbox file: when it is unchanged since a writer's last
    read or append, no other writer has appended meanwhile."""
    folder = repo / OUTBOX_DIR
    if not folder.is_dir():
        return ()
    found = []
    for path in sorted(folder.glob("*.yaml")):
        stat = path.stat()
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


@dataclass
class Outbox:
    """What the records say, by (key, channel)."""

    records: list[Record] = field(default_factory=list)
    sent: set[tuple[str, str]] = field(default_factory=set)
    failures: dict[tuple[str, str], list[datetime]] = field(default_factory=dict)
    told: dict[str, Told] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[Record]) -> Outbox:
        outbox = cls()
        for record in records:
            outbox.add(record)
        return outbox

    def add(self, record: Record) -> None:
        self.records.append(record)
        pair = (record.key, record.channel)
        if record.ok:
            self.sent.add(pair)
        elif pair not in self.sent:
            self.failures.setdefault(pair, []).append(record.time)
        if record.event in STATUS_EVENTS and record.customer:
            self._tell(record)

    def _tell(self, record: Record) -> None:
        assert record.customer is not None
        last = self.told.get(record.customer)
        if last is not None and last.key == record.key:
            if record.ok and not last.delivered:
                self.told[record.customer] = Told(last.key, last.event, last.number, True)
            return
        number = int(record.key.rsplit(":", 1)[-1]) if record.key[-1:].isdigit() else 0
        if last is not None and number < last.number:
            return  # an older episode's late retry: the newest one stands
        self.told[record.customer] = Told(record.key, record.event, number, record.ok)

    def failed_times(self, key: str, channel: str) -> list[datetime]:
        return self.failures.get((key, channel), [])

    def retry_at(self, key: str, channel: str, base: timedelta) -> datetime | None:
        """When the next attempt may run after failures (None: no failure yet)."""
        times = self.failed_times(key, channel)
        if not times:
            return None
        return times[-1] + base * (2 ** (len(times) - 1))
