"""rich tables as plain text (no colour) without rich's per-cell machinery, same characters.

rich renders every cell of a table through a Padding, a Text wrap, a justify and two
rounds of line cropping: about 0.1 ms a cell, seconds for the dashboard's 2,700-row
"Expiring" table. Without colour most of that work changes nothing: a cell whose text
fits its column is that text, justified and padded with spaces. `PlainTable` wraps a
`rich.table.Table` and, when it renders, does rich's arithmetic (column widths, the
collapse of wrapping columns at a width limit) and writes such cells directly; a cell of
printable text that wraps or is cut with an ellipsis is wrapped by rich's Text.wrap and
written the same way; any other cell (a tab, a line break, a zero-width joiner, an emoji
variation selector, styled spans) goes through rich's own cell rendering, and a table
using a feature outside the subset below is handed back to rich whole. Titles and captions are
always rich's. tests/render/test_plain_table.py compares both paths on generated tables.

The subset: no colour system, header shown, no footer, no lines between rows, no fixed
or minimum table width, no expand, padding only left/right, no fixed-width columns, and a
table that fits the console (rich crops a wider one segment by segment).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rich._ratio import ratio_reduce
from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Column, Table
from rich.text import Text

JUSTIFIED = ("left", "center", "right")  # the justify methods done here; others by rich


class PlainTable:
    """Renders like the wrapped table; see the module docstring."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        layout = _layout(self.table, console, options)
        if layout is None:
            yield self.table  # rich renders it, exactly as without this wrapper
            return
        yield from _render(self.table, console, options, layout)


def plain_tables(renderable: Any) -> Any:
    """`renderable` with every table (itself, or a part of a Group) rendered by PlainTable."""
    if isinstance(renderable, Table):
        return PlainTable(renderable)
    if isinstance(renderable, Group):
        return Group(*(plain_tables(part) for part in renderable.renderables), fit=renderable.fit)
    return renderable


class _Layout:
    """What rendering needs: each column's width and padding, the cells as Text."""

    def __init__(
        self, widths: list[int], pads: list[tuple[int, int]], grid: list[list[Text]]
    ) -> None:
        self.widths = widths
        self.pads = pads
        self.grid = grid  # rows of cells, the header row first


def _supported(table: Table, console: Console) -> bool:
    top, _, bottom, _ = table.padding
    return (
        console.color_system is None  # styles print nothing: only the characters count
        and bool(table.columns)
        and table.show_header
        and not table.show_footer
        and not table.show_lines
        and not table.leading
        and not table.expand
        and not table.collapse_padding
        and table.width is None
        and table.min_width is None
        and top == bottom == 0
        and all(column.width is None and column.max_width is None for column in table.columns)
    )


def _texts(table: Table, console: Console, options: ConsoleOptions) -> list[list[Text]] | None:
    """The header row and the body rows as Text (a str as rich reads it: markup); None
    when a cell is some other renderable."""
    columns: list[list[Text]] = []
    for column in table.columns:
        cells: list[Text] = []
        for cell in (column.header, *column._cells):
            if isinstance(cell, str):
                cell = console.render_str(cell, markup=options.markup, highlight=False)
            if not isinstance(cell, Text):
                return None
            cells.append(cell)
        columns.append(cells)
    return [list(row) for row in zip(*columns, strict=True)]


def _pads(table: Table) -> list[tuple[int, int]]:
    """(left, right) padding of each column, as rich's Table._get_padding_width."""
    _, right, _, left = table.padding
    last = len(table.columns) - 1
    return [
        (0 if index == 0 and not table.pad_edge else left,
         0 if index == last and not table.pad_edge else right)
        for index in range(len(table.columns))
    ]  # fmt: skip


def _widest(text: Text) -> int:
    """The widest line of a cell, as rich's Text.__rich_measure__ counts it."""
    plain = text.plain
    if plain.isascii() and plain.isprintable():
        return len(plain)
    return max((cell_len(line) for line in plain.splitlines()), default=0)


def _column_width(column: Column, widest: int, extra: int, available: int) -> int:
    """rich's Table._measure_column maximum for `available` cells: the widest cell plus
    padding, at most `available`, at least the column's min_width plus padding."""
    if available < 1:
        return 0
    width = min(widest + extra, available)
    if column.min_width is not None:
        width = max(width, column.min_width + extra, 0)
    return width


def _layout(table: Table, console: Console, options: ConsoleOptions) -> _Layout | None:
    """Column widths as rich's Table._calculate_column_widths, or None for rich."""
    if not _supported(table, console):
        return None
    grid = _texts(table, console, options)
    if grid is None:
        return None
    pads = _pads(table)
    extras = [left + right for left, right in pads]
    widest = [max(_widest(row[index]) for row in grid) for index in range(len(pads))]
    available = options.max_width - table._extra_width
    columns = table.columns
    widths = [
        _column_width(column, most, extra, available) or 1
        for column, most, extra in zip(columns, widest, extras, strict=True)
    ]
    if sum(widths) > available:
        wrapable = [column.width is None and not column.no_wrap for column in columns]
        widths = table._collapse_widths(widths, wrapable, available)
        if sum(widths) > available:  # rich's last resort: every column loses evenly
            excess = sum(widths) - available
            widths = ratio_reduce(excess, [1] * len(widths), widths, widths)
        widths = [
            _column_width(column, most, extra, width)
            for column, most, extra, width in zip(columns, widest, extras, widths, strict=True)
        ]
    if sum(widths) + table._extra_width > options.max_width:
        return None  # wider than the console: rich crops it segment by segment
    if any(width - extra < 1 for width, extra in zip(widths, extras, strict=True)):
        return None  # no room for text at all
    return _Layout(widths, pads, grid)


def _render(
    table: Table, console: Console, options: ConsoleOptions, layout: _Layout
) -> Iterator[Segment]:
    """The table's segments: rich's title, the rows, rich's caption."""
    table_width = sum(layout.widths) + table._extra_width
    annotation_options = options.update(width=table_width, highlight=table.highlight, height=None)
    if table.title:
        yield from _annotation(
            console, annotation_options, table.title, table.title_style, "table.title",
            table.title_justify,
        )  # fmt: skip
    new_line = Segment.line()
    for line in _lines(table, console, annotation_options, layout):
        if isinstance(line, str):
            yield Segment(line)
        else:
            yield from line
        yield new_line
    if table.caption:
        yield from _annotation(
            console, annotation_options, table.caption, table.caption_style, "table.caption",
            table.caption_justify,
        )  # fmt: skip


def _annotation(
    console: Console, options: ConsoleOptions, text: Any, style: Any, default: str, justify: Any
) -> RenderResult:
    """A title or caption, rendered by rich as Table.__rich_console__ does."""
    if isinstance(text, str):
        text = console.render_str(text, style=Style.pick_first(style, default), highlight=False)
    return console.render(text, options=options.update(justify=justify))


def _lines(
    table: Table, console: Console, options: ConsoleOptions, layout: _Layout
) -> Iterator[str | list[Segment]]:
    """Each line of the box and rows: a str, or, for a row with a cell rendered by rich,
    each of its lines as segments (rich's, one by one); the newline is the caller's."""
    widths = layout.widths
    box = table.box.substitute(options, safe=table.safe_box if table.safe_box is not None
                               else console.safe_box) if table.box else None  # fmt: skip
    edge = table.show_edge
    if box and edge:
        yield box.get_top(widths)
    last_index = len(layout.grid) - 1
    for index, row in enumerate(layout.grid):
        if box:
            place = "head" if index == 0 else ("foot" if index == last_index else "mid")
            left, right, divider = (
                getattr(box, f"{place}_left"),
                getattr(box, f"{place}_right"),
                getattr(box, f"{place}_vertical"),
            )
            if not edge:
                left = right = ""
        else:
            left = right = divider = ""
        yield from _row(table, console, options, layout, row, index == 0, (left, divider, right))
        if box and index == 0:
            yield box.get_row(widths, "head", edge=edge)
        elif box and index != last_index and table.rows[index - 1].end_section:
            yield box.get_row(widths, "row", edge=edge)
    if box and edge:
        yield box.get_bottom(widths)


def _row(
    table: Table,
    console: Console,
    options: ConsoleOptions,
    layout: _Layout,
    row: Sequence[Text],
    header: bool,
    box: tuple[str, str, str],
) -> Iterator[str | list[Segment]]:
    """One row: one str when every cell is one plain line, else its lines as segments."""
    left, divider, right = box
    pieces = [
        _plain_cell(column, text, width, pad)
        for text, column, width, pad in zip(row, table.columns, layout.widths, layout.pads,
                                            strict=True)
    ]  # fmt: skip
    if None not in pieces:
        yield left + divider.join(pieces) + right  # type: ignore[arg-type]
        return
    cells = [
        [[Segment(piece)]] if piece is not None
        else _wrapped_cell(console, column, text, width, pad)
        or _rich_cell(console, options, column, text, width, pad)
        for piece, text, column, width, pad in zip(
            pieces, row, table.columns, layout.widths, layout.pads, strict=True
        )
    ]  # fmt: skip
    height = max(len(lines) for lines in cells)
    shaped = [
        _aligned(lines, "bottom" if header else column.vertical, width, height)
        for lines, column, width in zip(cells, table.columns, layout.widths, strict=True)
    ]
    for line_no in range(height):
        line = [Segment(left)]
        for index, lines in enumerate(shaped):
            if index:
                line.append(Segment(divider))
            line += lines[line_no]
        yield [*line, Segment(right)]


def _plain_cell(column: Column, text: Text, width: int, pad: tuple[int, int]) -> str | None:
    """A cell as rich writes it when its text fits on one line, or None when rich must
    render it. Printable text without U+FE0F is measured character by character in rich
    (its cell length adds up), so a padded line is exactly `width` cells."""
    plain = text.plain
    justify = text.justify or column.justify
    if justify not in JUSTIFIED or not plain.isprintable() or "\ufe0f" in plain:
        return None
    if "ignore" in (text.overflow, column.overflow):  # rich neither justifies nor pads it
        return None
    room = width - pad[0] - pad[1]
    size = len(plain) if plain.isascii() else cell_len(plain)
    if size > room:
        return None
    if justify == "left":
        line = plain + " " * (room - size)
    else:  # rich strips trailing spaces before it aligns right or centre
        stripped = plain.rstrip()
        size -= len(plain) - len(stripped)
        before = room - size if justify == "right" else (room - size) // 2
        line = " " * before + stripped + " " * (room - size - before)
    return " " * pad[0] + line + " " * pad[1]


def _wrapped_cell(
    console: Console, column: Column, text: Text, width: int, pad: tuple[int, int]
) -> list[list[Segment]] | None:
    """A cell of printable text that rich wraps, folds or cuts (a free-text column in a
    narrow terminal): rich's own Text.wrap, each line then set to the column's width as
    rich's line cropping does; None for rich. Without spans a line is one segment, and
    without U+FE0F or a joiner its cell length adds up, so the two agree."""
    plain = text.plain
    if text.spans or not plain.isprintable() or "\ufe0f" in plain:
        return None
    room = width - pad[0] - pad[1]
    lines = text.wrap(
        console,
        room,
        justify=text.justify or column.justify or "default",
        overflow=text.overflow or column.overflow or "fold",
        no_wrap=column.no_wrap if text.no_wrap is None else text.no_wrap,
    )
    before, after = " " * pad[0], " " * pad[1]
    return [[Segment(before + set_cell_size(line.plain, room) + after)] for line in lines]


def _rich_cell(
    console: Console,
    options: ConsoleOptions,
    column: Column,
    text: Text,
    width: int,
    pad: tuple[int, int],
) -> list[list[Segment]]:
    """A cell's lines as rich's Table._render makes them."""
    cell_options = options.update(
        width=width,
        justify=column.justify,
        no_wrap=column.no_wrap,
        overflow=column.overflow,
        height=None,
        highlight=column.highlight,
    )
    return console.render_lines(Padding(text, (0, pad[1], 0, pad[0])), cell_options)


def _aligned(
    lines: list[list[Segment]], vertical: str, width: int, height: int
) -> list[list[Segment]]:
    """Blank lines added to `height`, as rich's Segment.align_top/middle/bottom."""
    extra = height - len(lines)
    if not extra:
        return lines
    blank = [Segment(" " * width)]
    if vertical == "bottom":
        return [blank] * extra + lines
    if vertical == "middle":
        above = extra // 2
        return [blank] * above + lines + [blank] * (extra - above)
    return lines + [blank] * extra
