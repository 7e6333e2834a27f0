"""The Excel workbook (`isk export --xlsx FILE`), rendered from a `report.Dashboard`.

Sheets: Summary, Customers, Invoices, Payments, Receivables, Monthly. Every sheet is
one table: a bold, frozen header row, filters on, widths fitted to the content, dates
as real dates and money as numbers in a rupiah format, so the figures can be summed
and sorted in Excel. Written in openpyxl's streaming mode: 120,000 ledger rows stay
cheap in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from isk_reconcile.report import SUMMARY_COLUMNS, Dashboard, summary_rows

RUPIAH_FORMAT = '"Rp"#,##0;-"Rp"#,##0'
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TOTAL_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | int | money | date | bool


SUMMARY_MONEY = {"billed", "collected", "credits", "outstanding"} | {
    c for c in SUMMARY_COLUMNS if c.startswith("aging_")
}
SUMMARY_TEXT = {"router", "error", "identity", "version", "uptime"}


def _summary_columns() -> tuple[Column, ...]:
    def kind(name: str) -> str:
        if name in SUMMARY_MONEY:
            return "money"
        if name in SUMMARY_TEXT:
            return "text"
        return "bool" if name == "reachable" else "int"

    return tuple(Column(name, kind(name)) for name in SUMMARY_COLUMNS)


CUSTOMER_COLUMNS = (
    Column("id"),
    Column("name"),
    Column("router"),
    Column("profile"),
    Column("status"),
    Column("standing"),
    Column("access"),
    Column("start", "date"),
    Column("paid_through", "date"),
    Column("expires", "date"),
    Column("expiring", "bool"),
    Column("balance", "money"),
    Column("outstanding", "money"),
    Column("phone"),
    Column("reason"),
)
INVOICE_COLUMNS = (
    Column("invoice"),
    Column("customer"),
    Column("router"),
    Column("profile"),
    Column("period_start", "date"),
    Column("period_end", "date"),
    Column("due", "date"),
    Column("amount", "money"),
    Column("paid", "money"),
    Column("outstanding", "money"),
    Column("status"),
    Column("paid_on", "date"),
    Column("paid_by"),
)
PAYMENT_COLUMNS = (
    Column("id"),
    Column("customer"),
    Column("router"),
    Column("date", "date"),
    Column("kind"),
    Column("method"),
    Column("amount", "money"),
    Column("signed_amount", "money"),
    Column("reference"),
    Column("note"),
)
RECEIVABLE_COLUMNS = (
    Column("invoice"),
    Column("customer"),
    Column("name"),
    Column("router"),
    Column("due", "date"),
    Column("days_past_due", "int"),
    Column("bucket"),
    Column("amount", "money"),
)
MONTHLY_COLUMNS = (Column("month"), Column("billed", "money"), Column("collected", "money"))


def write_workbook(board: Dashboard, path: Path) -> None:
    """Write the whole workbook to `path` (overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # fail before any sheet is started
    book = Workbook(write_only=True)
    _sheet(
        book,
        "Summary",
        _summary_columns(),
        [[row[c] for c in SUMMARY_COLUMNS] for row in summary_rows(board)],
        total_last=True,
        notes=[
            ("as_of", board.as_of),
            ("month", board.month),
            ("commit", board.commit or "not a git repository"),
        ],
    )
    _sheet(
        book,
        "Customers",
        CUSTOMER_COLUMNS,
        (
            [
                r.id,
                r.name,
                r.router,
                r.profile,
                r.status,
                r.category,
                r.access,
                r.start,
                r.paid_through,
                r.expires,
                r.expiring,
                r.balance,
                r.outstanding,
                r.phone,
                r.reason,
            ]
            for r in board.customers
        ),
    )
    _sheet(
        book,
        "Invoices",
        INVOICE_COLUMNS,
        (
            [
                i.id,
                i.customer,
                router,
                i.profile,
                i.period.start,
                i.period.end,
                i.due,
                i.amount,
                i.paid,
                i.outstanding,
                i.status,
                i.paid_on,
                i.paid_by,
            ]
            for router, i in board.invoices
        ),
    )
    _sheet(
        book,
        "Payments",
        PAYMENT_COLUMNS,
        (
            [
                e.id,
                e.customer,
                router,
                e.date,
                e.kind,
                e.method,
                e.amount,
                e.signed_amount,
                e.reference,
                e.note,
            ]
            for router, e in board.payments
        ),
    )
    _sheet(
        book,
        "Receivables",
        RECEIVABLE_COLUMNS,
        (
            [
                r.invoice.id,
                r.invoice.customer,
                r.name,
                r.router,
                r.invoice.due,
                r.days_past_due,
                r.bucket,
                r.amount,
            ]
            for r in board.receivables
        ),
    )
    _sheet(
        book,
        "Monthly",
        MONTHLY_COLUMNS,
        ([m.month, m.billed, m.collected] for m in board.monthly),
    )
    book.save(path)


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return len(f"Rp{value:,}")
    return len(str(value))


def _sheet(
    book: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[list],
    *,
    total_last: bool = False,
    notes: Sequence[tuple[str, object]] = (),
) -> None:
    """One table sheet. Streaming sheets need widths before rows, so rows are listed first."""
    rows = list(rows)
    sheet: WriteOnlyWorksheet = book.create_sheet(title)
    widths = [len(column.title) for column in columns]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _width(value))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
    last_column = get_column_letter(len(columns))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_column}{len(rows) + 1}"

    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    formatters = [_formatter(sheet, column.kind) for column in columns]
    for number, row in enumerate(rows, start=1):
        cells = [format_cell(value) for format_cell, value in zip(formatters, row, strict=True)]
        if total_last and number == len(rows):
            cells = [_bold(sheet, cell) for cell in cells]
        sheet.append(cells)
    if notes:
        sheet.append([])
        for label, value in notes:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            sheet.append([label, cell])


def _bold(sheet: WriteOnlyWorksheet, value: object) -> WriteOnlyCell:
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value)
    cell.font = TOTAL_FONT
    return cell


def _formatter(sheet: WriteOnlyWorksheet, kind: str) -> Callable[[object], object]:
    """How a value of this column becomes a cell: formatted cells only where a number
    format is needed (cell objects are the slow part of a 300,000-row workbook)."""
    number_format = {"money": RUPIAH_FORMAT, "date": DATE_FORMAT, "int": "0"}.get(kind)
    if number_format is None:
        return lambda value: value

    def make(value: object) -> object:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    return make
