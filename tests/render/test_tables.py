"""render/tables: the same rows as a table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from isk_reconcile.render.tables import Column, money, render_rows, render_table, to_json

COLUMNS = (Column("id"), Column("day", "when"), money("balance"), Column("protect"))
ROWS = [
    {"id": "budi", "day": date(2026, 11, 29), "balance": -150000, "protect": False},
    {"id": "[bold]ani[/bold]", "day": None, "balance": 1200000, "protect": True, "extra": 1},
]


def test_json_is_a_list_of_objects_with_exactly_the_columns_in_order():
    rows = json.loads(render_rows(ROWS, COLUMNS, "json"))
    assert rows == [
        {"id": "budi", "day": "2026-11-29", "balance": -150000, "protect": False},
        {"id": "[bold]ani[/bold]", "day": None, "balance": 1200000, "protect": True},
    ]
    assert [list(row) for row in rows] == [["id", "day", "balance", "protect"]] * 2


def test_csv_has_a_header_of_names_and_raw_values():
    rows = list(csv.reader(io.StringIO(render_rows(ROWS, COLUMNS, "csv"))))
    assert rows == [
        ["id", "day", "balance", "protect"],
        ["budi", "2026-11-29", "-150000", "false"],
        ["[bold]ani[/bold]", "", "1200000", "true"],
    ]


def test_table_shows_titles_rupiah_and_text_literally():
    text = render_rows(ROWS, COLUMNS, "table", title="Two rows")
    lines = text.splitlines()
    assert lines[0] == "Two rows"
    assert "when" in text and "day" not in text
    assert "-Rp150.000" in text and "Rp1.200.000" in text
    assert "[bold]ani[/bold]" in text  # data is never parsed as rich markup
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in lines)


def test_table_colour_only_when_asked():
    styled = (Column("standing", style=lambda v: "red" if v == "suspended" else None),)
    rows = [{"standing": "suspended"}]
    assert "\x1b[" in render_table(rows, styled, color=True)
    assert "\x1b[" not in render_table(rows, styled, color=False)


def test_table_footer_row_comes_last():
    text = render_table(ROWS, COLUMNS, footer={"id": "total", "balance": 1050000})
    assert text.strip().splitlines()[-1].split() == ["total", "Rp1.050.000"]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render_rows(ROWS, COLUMNS, "xml")


def test_to_json_turns_dates_tuples_and_mappings_into_json():
    assert json.loads(to_json({"a": (date(2026, 1, 31), {"b": None})})) == {
        "a": ["2026-01-31", {"b": None}]
    }
