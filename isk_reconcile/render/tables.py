"""Rows of plain values rendered as a table (rich), CSV or JSON, for every `--format` option.

Rows are mappings from a stable column name to a plain value (str, int, bool, date, None).
CSV and JSON carry the raw values under the column names (dates ISO, money as integers),
so scripts can rely on them; only the table is for people (rupiah, colours, titles).
This module renders to strings; the CLI prints them.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.render.plain_table import plain_tables
from isk_reconcile.untrusted import visible

FORMATS: tuple[str, ...] = ("table", "csv", "json")

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    """One output column: `name` is the stable key in CSV and JSON."""

    name: str
    title: str | None = None  # table header (default: the name)
    justify: Literal["left", "right", "center"] = "left"
    display: Callable[[Any], str] | None = None  # table text for a value (default: plain_text)
    style: Callable[[Any], str | None] | None = None  # rich style for a value, table only
    # In a terminal too narrow for the whole table, columns with give_way > 0 are left out,
    # highest first (a note says which); 0: always shown. Never in CSV or JSON.
    give_way: int = 0

    @property
    def header(self) -> str:
        return self.title if self.title is not None else self.name


def money(name: str, title: str | None = None, *, give_way: int = 0) -> Column:
    """A money column: an integer in CSV/JSON, rupiah in the table."""
    return Column(
        name,
        title,
        justify="right",
        display=lambda v: "" if v is None else rupiah(v),
        give_way=give_way,
    )


def plain_text(value: Any) -> str:
    """How a value reads in a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(plain_text(item) for item in value)
    return str(value)


def json_value(value: Any) -> Any:
    """A JSON-ready copy of a value: dates ISO, tuples as lists, mappings recursively."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value


def to_json(data: Any) -> str:
    return json.dumps(json_value(data), indent=2, ensure_ascii=False) + "\n"


def _columns(columns: Sequence[Column | str]) -> tuple[Column, ...]:
    return tuple(c if isinstance(c, Column) else Column(c) for c in columns)


def render_json(rows: Iterable[Row], columns: Sequence[Column | str]) -> str:
    """A JSON list of objects with exactly the given keys, in column order."""
    names = [c.name for c in _columns(columns)]
    return to_json([{name: row.get(name) for name in names} for row in rows])


def render_csv(rows: Iterable[Row], columns: Sequence[Column | str]) -> str:
    """CSV with a header row of column names; booleans as true/false, None as empty."""
    names = [c.name for c in _columns(columns)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in names])
    return out.getvalue()


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...),
# +cmd|..., @SUM, or after a tab/CR): such text is written with a leading apostrophe, so
# it opens as text (OWASP "CSV injection"). Numbers are numbers: -5000 stays -5000.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = plain_text(value)
    if isinstance(value, int | float):
        return text
    text = visible(text)
    return "'" + text if text.startswith(FORMULA_START) else text


# Free text may wrap in a narrow terminal; every other cell (ids, dates, money, names of
# routers and packages, counts) is kept whole, so "2026-11-15" or "Rp1.250.000" is never
# split across lines.
FREE_TEXT = frozenset(
    {"name", "reason", "address", "note", "notes", "description", "summary", "title", "message",
     "reference"}
)  # fmt: skip
# Long sentences are cut with "…" rather than wrapped (a reason wrapped into a narrow
# column fills twenty lines); `isk customer show` and --wide have them whole.
TRUNCATED = frozenset({"reason", "note", "notes", "description", "summary", "message"})
# Columns whose words are isk's own (standings, reasons, notes): translated in the table.
# Other text (names, ids, addresses) is the repository's and shown as written.
TRANSLATED = frozenset(
    {"status", "standing", "access", "reason", "note", "kind", "state", "method", "cause",
     "event", "channel", "outcome", "result"}
)  # fmt: skip
FREE_TEXT_MIN = 8  # a free-text column keeps at least this many characters a line


def render_table(
    rows: Iterable[Row],
    columns: Sequence[Column | str],
    *,
    title: str | None = None,
    footer: Row | None = None,
    color: bool = False,
    width: int | None = None,
    language: str = "en",
    fast: bool = True,
) -> str:
    """A rich table as text; `footer` is an extra, emphasised row (e.g. totals).

    With a `width` (the terminal's), only free-text columns wrap to fit it; when that is
    not enough, columns that `give_way` are left out (a note says which); a cell is never
    split or cut. Headers, the title, isk's own words and dates are in `language`.
    `fast`: as render_rich's."""
    cols = _columns(columns)
    rows = list(rows)
    tr = translator(language)
    title = tr.text(title) if title else title
    table = _table(rows, cols, title, footer, tr)
    left_out: list[str] = []
    if width:
        for name in [c.name for c in sorted(cols, key=lambda c: -c.give_way) if c.give_way]:
            if _narrowest(table) <= width:
                break
            cols = tuple(c for c in cols if c.name != name)
            left_out.append(name)
            table = _table(rows, cols, title, footer, tr)
    fitted = max(width, _narrowest(table)) if width else None
    text = render_rich(table, color=color, width=fitted, fast=fast)
    if left_out:
        names = ", ".join(tr.message(name) for name in left_out)
        note = tr.message(
            "(left out to fit %(width)s columns: %(names)s; --wide shows all)",
            width=width,
            names=names,
        )
        text += "\n".join(textwrap.wrap(note, width, break_on_hyphens=False)) + "\n"
    return text


def _table(
    rows: Sequence[Row],
    cols: Sequence[Column],
    title: str | None,
    footer: Row | None,
    tr: Translator | None = None,
) -> Table:
    tr = tr or translator("en")
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in cols:
        header = tr.text(column.header)  # `0-30 days` matches `%(label)s days`
        if column.name in FREE_TEXT:
            overflow = "ellipsis" if column.name in TRUNCATED else "fold"
            table.add_column(
                header, justify=column.justify, overflow=overflow, min_width=FREE_TEXT_MIN
            )
        else:
            table.add_column(header, justify=column.justify, no_wrap=True)
    for row in rows:
        table.add_row(*(_cell(column, row.get(column.name), "", tr) for column in cols))
    if footer is not None:
        table.add_section()
        table.add_row(*(_cell(column, footer.get(column.name), "bold", tr) for column in cols))
    for column in table.columns:
        if column.overflow == "ellipsis":  # one line per row: the sentence is cut, not wrapped
            for cell in column.cells:
                if isinstance(cell, Text):
                    cell.no_wrap, cell.overflow = True, "ellipsis"
    return table


def _narrowest(table: Table) -> int:
    """The width below which a fixed cell would be cut: every fixed column at its longest
    cell, each free-text column at FREE_TEXT_MIN (or its longest cell when shorter), plus
    each column's two characters of padding and the one of the box's column separator
    (one less in all: no padding at the table's two edges, which are one space each)."""
    total = -1
    for column in table.columns:
        cells = [cell.plain for cell in column.cells if isinstance(cell, Text)]
        longest = max([len(str(column.header)), *(len(cell) for cell in cells)])
        total += (longest if column.no_wrap else min(longest, FREE_TEXT_MIN)) + 3
    return total


def _cell(column: Column, value: Any, extra_style: str = "", tr: Translator | None = None) -> Text:
    text = visible(_cell_text(column, value, tr)) if value is not None else ""
    style = (column.style(value) if column.style else None) or ""
    return Text(text, style=f"{style} {extra_style}".strip())  # Text: never parsed as markup


def _cell_text(column: Column, value: Any, tr: Translator | None) -> str:
    """A cell in the reader's language: dates by Babel, yes/no and isk's own words
    translated; ids, names, money and the repository's text as they are."""
    if tr is None or tr.english or column.display is not None:
        return (column.display or plain_text)(value)
    if isinstance(value, bool):
        return tr.yes_no(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return tr.cell_day(value)
    text = plain_text(value)
    return tr.text(text) if column.name in TRANSLATED or column.name == "total" else text


def render_rich(
    renderable: Any, *, color: bool = False, width: int | None = None, fast: bool = True
) -> str:
    """Any rich renderable as text; without a width, wide enough that nothing wraps.

    Without colour, tables are written by PlainTable (the same text, much sooner);
    `fast=False` leaves everything to rich (the tests compare the two)."""
    if fast and not color:
        renderable = plain_tables(renderable)
    out = io.StringIO()
    console = Console(
        file=out,
        width=width or 1000,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def render_rows(
    rows: Iterable[Row],
    columns: Sequence[Column | str],
    fmt: str,
    *,
    title: str | None = None,
    footer: Row | None = None,
    color: bool = False,
    width: int | None = None,
    language: str = "en",
) -> str:
    """Rows in the chosen format ("table", "csv" or "json"; only the table is translated:
    CSV and JSON are for scripts)."""
    if fmt == "json":
        return render_json(rows, columns)
    if fmt == "csv":
        return render_csv(rows, columns)
    if fmt == "table":
        return render_table(
            rows, columns, title=title, footer=footer, color=color, width=width, language=language
        )
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
