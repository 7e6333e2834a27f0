"""Plain tables (render.plain_table) are rich's tables, character for character.

Every comparison renders the same input twice: through PlainTable (what isk prints) and
through rich alone (`fast=False`), and asserts the two texts are equal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from isk_reconcile.render.plain_table import PlainTable, plain_tables
from isk_reconcile.render.status_text import render_status
from isk_reconcile.render.tables import (
    FREE_TEXT,
    Column,
    money,
    render_rich,
    render_table,
)
from tests.helpers.dashboard import build, example_state
from tests.helpers.examples import scaled

# Pieces of text that measure differently: accents (precomposed and combining), CJK and
# full-width letters (two cells), emoji (with and without variation selector, joined by
# zero-width joiners), spaces rich strips or keeps, and characters rich treats specially.
PIECES = [
    "a", "Z", "7", " ", "  ", "-", ".", "Rp1.250.000", "2026-11-15", "é", "e\u0301", "ñ",
    "漢", "字", "ｱ", "Ａ", "😀", "❤\ufe0f", "❤", "👍🏽", "👨\u200d👩\u200d👧", "\u200d",
    "\ufe0f", "\xa0", "\u3000", "…", "Ω", "ß", "[b]", "\\", "word", "longerword",
]  # fmt: skip
RAW_PIECES = [*PIECES, "\t", "\n", "\u2028", "\x1b"]  # only where no `visible` ran before

cell_text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
raw_text = st.lists(st.sampled_from(RAW_PIECES), max_size=12).map("".join)
widths = st.one_of(st.none(), st.integers(min_value=1, max_value=140))


def outcome(render: Callable[[], str]) -> str:
    """The text, or the exception rich raised: rich 15 fails on some text (an IndexError
    in cells._split_text for two zero-width joiners before a wide character in a narrow
    column), and must then fail the same way on both paths."""
    try:
        return render()
    except Exception as error:  # noqa: BLE001 - any exception, compared by type
        return f"raised {type(error).__name__}"


def both(renderable_of: Any, width: int | None) -> tuple[str, str]:
    """The text of a renderable built twice, once by each path."""
    fast = outcome(lambda: render_rich(renderable_of(), width=width))
    slow = outcome(lambda: render_rich(renderable_of(), width=width, fast=False))
    return fast, slow


@st.composite
def rich_tables(draw: st.DrawFn) -> tuple[dict, list[dict], list[list[Any]], list[bool]]:
    """The parts of a rich Table: options, columns, rows of cells, section ends."""
    options = {
        "box": draw(st.sampled_from([box.SIMPLE_HEAD, box.HEAVY_HEAD, box.ROUNDED, None])),
        "pad_edge": draw(st.booleans()),
        "show_edge": draw(st.booleans()),
        "title": draw(st.one_of(st.none(), cell_text, st.just("a [bold]marked[/bold] title"))),
        "title_justify": draw(st.sampled_from(["left", "center", "right"])),
        "caption": draw(st.one_of(st.none(), cell_text)),
    }
    columns = [
        {
            "header": draw(st.one_of(cell_text, st.just("[i]head[/i]"))),
            "justify": draw(st.sampled_from(["left", "center", "right", "full"])),
            "no_wrap": draw(st.booleans()),
            "overflow": draw(st.sampled_from(["fold", "ellipsis", "crop", "ignore"])),
            "min_width": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=12))),
            "vertical": draw(st.sampled_from(["top", "middle", "bottom"])),
        }
        for _ in range(draw(st.integers(min_value=1, max_value=5)))
    ]
    cell = st.one_of(
        raw_text.map(Text),
        cell_text,  # a str: rich reads it as markup
        st.builds(Text, raw_text, justify=st.sampled_from([None, "left", "center", "right"])),
        st.builds(lambda t: Text(t, no_wrap=True, overflow="ellipsis"), cell_text),
        st.builds(lambda t: Text(t, overflow="ignore"), cell_text),
    )
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=6))
    sections = draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    return options, columns, rows, sections


def make_table(options: dict, columns: list[dict], rows: list[list[Any]], sections: list[bool]):
    def build_table() -> Table:
        table = Table(**options)
        for column in columns:
            table.add_column(**column)
        for cells, end_section in zip(rows, sections, strict=True):
            table.add_row(*(c.copy() if isinstance(c, Text) else c for c in cells))
            if end_section:
                table.add_section()
        return table

    return build_table


@settings(max_examples=scaled(400), deadline=None)
@given(rich_tables(), widths)
def test_any_table_reads_as_rich_renders_it(parts: tuple, width: int | None) -> None:
    fast, slow = both(make_table(*parts), width)
    assert fast == slow


@settings(max_examples=scaled(100), deadline=None)
@given(rich_tables(), widths, cell_text)
def test_a_table_among_other_parts_reads_as_rich_renders_it(
    parts: tuple, width: int | None, heading: str
) -> None:
    table_of = make_table(*parts)
    fast, slow = both(lambda: Group(Text(heading), table_of(), Text("note")), width)
    assert fast == slow


NAMES = sorted(FREE_TEXT) + ["id", "router", "due", "count", "paid"]


@st.composite
def listings(draw: st.DrawFn) -> tuple[list[Column], list[dict], dict | None, str | None]:
    """Columns (free text that wraps or is cut, kept-whole ids, money, numbers) and rows."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    columns = [
        money(name, give_way=draw(st.integers(0, 2)))
        if name == "paid"
        else Column(
            name,
            title=draw(st.one_of(st.none(), cell_text)),
            justify=draw(st.sampled_from(["left", "right", "center"])),
            give_way=draw(st.integers(0, 2)),
        )
        for name in names
    ]
    value = {
        "paid": st.one_of(st.none(), st.integers(-(10**9), 10**9)),
        "count": st.one_of(st.integers(-5, 10**6), st.booleans()),
        "due": st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 12, 31))),
    }
    rows = draw(
        st.lists(
            st.fixed_dictionaries({name: value.get(name, raw_text) for name in names}),
            max_size=8,
        )
    )
    footer = draw(
        st.one_of(st.none(), st.fixed_dictionaries({names[0]: value.get(names[0], cell_text)}))
    )
    title = draw(st.one_of(st.none(), cell_text))
    return columns, rows, footer, title


@settings(max_examples=scaled(400), deadline=None)
@given(listings(), widths, st.sampled_from(["en", "id"]))
def test_listing_tables_read_as_rich_renders_them(
    listing: tuple, width: int | None, language: str
) -> None:
    columns, rows, footer, title = listing
    kwargs = {"title": title, "footer": footer, "width": width, "language": language}
    fast = outcome(lambda: render_table(rows, columns, **kwargs))
    assert fast == outcome(lambda: render_table(rows, columns, fast=False, **kwargs))


def test_long_free_text_wraps_and_is_cut_as_rich_does() -> None:
    """The cases a narrow terminal meets daily: an address folded, a reason cut with …"""
    rows = [
        {
            "id": f"c{n:05d}",
            "address": "Jl. Merdeka " * n + "Gang Mawar No. 7, Kelurahan Sukamaju",
            "reason": "unpaid invoice c00019/2026-10-15 (Rp200.000) due 2026-10-15, " * n,
            "name": "Ni Luh Putu Ayu Kadek Sri " * n + "漢字テスト",
        }
        for n in range(4)
    ]
    columns = ["id", "name", "address", "reason"]
    for width in (30, 60, 80, 120, None):
        text = render_table(rows, columns, width=width)
        assert text == render_table(rows, columns, width=width, fast=False)
    assert "…" in render_table(rows, columns, width=80)


def test_the_dashboard_reads_as_rich_renders_it() -> None:
    state = example_state()
    dave = state.customers["dave"].model_copy(update={"name": "Dave 漢字 ❤\ufe0f é"})
    board = build(replace(state, customers={**state.customers, "dave": dave}))
    for language in ("en", "id"):
        fast = render_status(board, language=language, isp_name="Net 🌐 Bali")
        assert fast == render_status(board, language=language, isp_name="Net 🌐 Bali", fast=False)


def test_colour_and_unsupported_tables_are_left_to_rich() -> None:
    """A table with a feature outside the plain subset renders as rich renders it."""

    def footed() -> Table:
        table = Table(show_footer=True, expand=True, show_lines=True)
        table.add_column("a", footer="sum")
        table.add_row("1")
        table.add_row("2")
        return table

    assert render_rich(footed()) == render_rich(footed(), fast=False)
    assert "sum" in render_rich(footed())
    coloured = render_rich(footed(), color=True)
    assert "\x1b[" in coloured and coloured == render_rich(footed(), color=True, fast=False)
    assert isinstance(plain_tables(footed()), PlainTable)
