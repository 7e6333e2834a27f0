"""render.xlsx: the workbook, read back with openpyxl: sheets, types, formats, totals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from isk_reconcile.billing.report_types import Dashboard
from isk_reconcile.render.spreadsheetml import DATE_FORMAT, RUPIAH_FORMAT
from isk_reconcile.render.status_data import SUMMARY_COLUMNS
from isk_reconcile.render.xlsx import write_workbook
from tests.helpers.dashboard import build


def table(sheet) -> list[dict]:
    """Rows of a one-table sheet as dicts, up to the first empty row."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    out = []
    for row in rows:
        if all(value is None for value in row):
            break
        out.append(dict(zip(header, row, strict=True)))
    return out


@pytest.fixture
def board() -> Dashboard:
    return build(commit="0123456789abcdef")


@pytest.fixture
def workbook(board: Dashboard, tmp_path: Path):
    path = tmp_path / "out" / "isp.xlsx"
    write_workbook(board, path)
    return openpyxl.load_workbook(path)


def test_sheets_in_order(workbook) -> None:
    assert workbook.sheetnames == [
        "Summary",
        "Customers",
        "Invoices",
        "Payments",
        "Receivables",
        "Monthly",
    ]


def test_every_sheet_has_a_frozen_bold_header_filters_and_fitted_widths(workbook) -> None:
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        header = [cell.value for cell in sheet[1]]
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        last_column = openpyxl.utils.get_column_letter(len([h for h in header if h]))
        rows = len(table(sheet)) + 1
        assert sheet.auto_filter.ref == f"A1:{last_column}{rows}", sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value), sheet.title
        for index, title in enumerate(header, start=1):
            if title is None:
                continue
            width = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
            assert width >= len(title), (sheet.title, title)


def test_summary_totals_equal_the_dashboard(workbook, board: Dashboard) -> None:
    rows = table(workbook["Summary"])
    assert [row["router"] for row in rows] == ["r1", "r2", "total"]
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    total = rows[-1]
    assert total["customers"] == board.total.customers.total == 7
    assert total["billed"] == board.total.billed
    assert total["collected"] == board.total.collected
    assert total["credits"] == board.total.credits
    assert total["outstanding"] == board.total.outstanding == 500_000
    for bucket in board.total.aging:
        assert total[f"aging_{bucket.label}"] == bucket.amount
    assert rows[1]["outstanding"] == board.routers[1].figures.outstanding
    notes = {
        row[0]: row[1]
        for row in workbook["Summary"].iter_rows(values_only=True)
        if row[0] in ("as_of", "commit", "month")
    }
    assert notes["as_of"] == datetime(2026, 11, 20)
    assert notes["commit"] == "0123456789abcdef"
    assert notes["month"] == "2026-11"


def test_money_is_numbers_in_rupiah_format_and_dates_are_dates(workbook) -> None:
    sheet = workbook["Invoices"]
    header = [cell.value for cell in sheet[1]]
    first = {title: cell for title, cell in zip(header, sheet[2], strict=True)}
    assert isinstance(first["amount"].value, int)
    assert first["amount"].number_format == RUPIAH_FORMAT
    assert isinstance(first["due"].value, datetime)  # Excel dates read back as datetime
    assert first["due"].number_format == DATE_FORMAT
    customers = workbook["Customers"]
    header = [cell.value for cell in customers[1]]
    row = {title: cell for title, cell in zip(header, customers[2], strict=True)}
    assert row["start"].is_date and row["balance"].number_format == RUPIAH_FORMAT
    assert isinstance(row["expiring"].value, bool)


def test_rows_match_the_dashboard_lists(workbook, board: Dashboard) -> None:
    customers = table(workbook["Customers"])
    assert [row["id"] for row in customers] == [row.id for row in board.customers]
    assert sum(row["outstanding"] for row in customers) == board.total.outstanding
    bob = next(row for row in customers if row["id"] == "bob")
    assert bob["standing"] == "suspended-unpaid" and bob["router"] == "r1"

    invoices = table(workbook["Invoices"])
    assert len(invoices) == len(board.invoices)
    assert sum(row["outstanding"] for row in invoices if row["due"] <= datetime(2026, 11, 20)) == (
        board.total.outstanding
    )

    payments = table(workbook["Payments"])
    assert [row["id"] for row in payments] == [e.id for _, e in board.payments]
    assert "P-8" not in {row["id"] for row in payments}  # dated after as_of
    refund = next(row for row in payments if row["kind"] == "refund")
    assert (refund["amount"], refund["signed_amount"]) == (10_000, -10_000)

    receivables = table(workbook["Receivables"])
    assert sum(row["amount"] for row in receivables) == board.total.outstanding
    assert {row["bucket"] for row in receivables} == {"0-30", "31-60", "61-90"}

    monthly = table(workbook["Monthly"])
    assert [row["month"] for row in monthly] == [m.month for m in board.monthly]
    assert monthly[-1]["billed"] == board.total.billed


def test_empty_isp_still_writes_every_sheet(tmp_path: Path) -> None:
    from dataclasses import replace

    from tests.helpers.dashboard import example_state

    empty = replace(example_state(), customers={}, ledger=())
    path = tmp_path / "empty.xlsx"
    write_workbook(build(empty), path)
    book = openpyxl.load_workbook(path)
    assert table(book["Customers"]) == []
    assert table(book["Summary"])[-1]["customers"] == 0
    assert book["Customers"].auto_filter.ref.endswith("1")


def test_dates_written_are_the_dashboards(workbook, board: Dashboard) -> None:
    receivables = table(workbook["Receivables"])
    assert [row["due"].date() for row in receivables] == [r.invoice.due for r in board.receivables]
    assert all(isinstance(r.invoice.due, date) for r in board.receivables)


def test_awkward_values_survive_the_round_trip(tmp_path: Path) -> None:
    """The workbook XML is written by hand: text that XML must escape, spaces at the ends,
    control characters (dropped: XML cannot hold them), negative money, booleans, empty
    cells and wide columns read back as written."""
    from isk_reconcile.render.spreadsheetml import Column, Sheet, save_workbook

    columns = (
        Column("text"),
        Column("money", "money"),
        Column("day", "date"),
        Column("ok", "bool"),
    )
    rows = [
        ["Tom & Jerry <b>", -150_000, date(2026, 2, 28), True],
        ["  spaced  ", 0, None, False],
        ["", 1, None, None],  # empty text is an empty cell, as openpyxl writes it
        ["bell\x07here", None, date(1999, 12, 31), None],
        ["x" * 200, 12_345_678_901, date(2026, 11, 29), True],
        [42, 7, date(2030, 1, 1), False],  # a number in a text column stays a number
    ]
    path = tmp_path / "awkward.xlsx"
    save_workbook(
        [Sheet("Odd 'name'", columns, rows, total_last=True, notes=[("as_of", date(2026, 1, 2))])],
        path,
    )
    sheet = openpyxl.load_workbook(path)["Odd 'name'"]
    found = [list(row) for row in sheet.iter_rows(min_row=2, max_row=7, values_only=True)]
    assert found == [
        ["Tom & Jerry <b>", -150_000, datetime(2026, 2, 28), True],
        ["  spaced  ", 0, None, False],
        [None, 1, None, None],
        ["bellhere", None, datetime(1999, 12, 31), None],
        ["x" * 200, 12_345_678_901, datetime(2026, 11, 29), True],
        [42, 7, datetime(2030, 1, 1), False],
    ]
    assert sheet["A9"].value == "as_of" and sheet["B9"].value == datetime(2026, 1, 2)
    assert sheet["B9"].number_format == DATE_FORMAT
    assert sheet["B2"].number_format == RUPIAH_FORMAT
    assert all(cell.font.bold for cell in sheet[7] if cell.value is not None)  # the total row
    assert not any(cell.font.bold for cell in sheet[2])
    assert sheet.column_dimensions["A"].width == 60  # capped
    assert sheet.column_dimensions["B"].width == len("Rp12,345,678,901") + 2
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D7"
