"""The Excel workbook (`isk export --xlsx FILE`), rendered from a `report.Dashboard`.

Sheets: Summary, Customers, Invoices, Payments, Receivables, Monthly. Every sheet is
one table: a bold, frozen header row, filters on, widths fitted to the content, dates
as real dates and money as numbers in a rupiah format, so the figures can be summed
and sorted in Excel. The SpreadsheetML is written directly (`render.spreadsheetml`):
openpyxl's pure-Python writer took 100 s for the 3.7 million cells of a 10,000-customer
ISP; openpyxl reads the file back in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from isk_reconcile.billing.report_types import Dashboard
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.render.spreadsheetml import Column, Sheet, add_sheet, save_workbook
from isk_reconcile.render.status_data import SUMMARY_COLUMNS, summary_rows

SUMMARY_MONEY = {"billed", "collected", "credits", "written_off", "outstanding"} | {
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


def write_workbook(
    board: Dashboard, path: Path, *, language: str = "en", isp_name: str = ""
) -> None:
    """Write the whole workbook to `path` (overwritten): sheet names, headers and isk's
    own words in `language`; the ISP's name, when set, heads it (the Summary sheet's
    first note, every sheet's printed header and the file's title)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # fail before any sheet is started
    tr = translator(language)
    book: list[Sheet] = []
    notes: list[tuple[str, object]] = [("ISP", isp_name)] if isp_name else []
    notes += [
        (tr.message("as_of"), board.as_of),
        (tr.message("month"), board.month),
        (tr.message("commit"), board.commit or tr.message("not a git repository")),
    ]
    add_sheet(
        book,
        tr.message("Summary"),
        _in(tr, _summary_columns()),
        [[row[c] for c in SUMMARY_COLUMNS] for row in summary_rows(board)],
        total_last=True,
        notes=notes,
    )
    add_sheet(book, tr.message("Customers"), *_words(tr, CUSTOMER_COLUMNS, _customer_rows(board)))
    add_sheet(book, tr.message("Invoices"), *_words(tr, INVOICE_COLUMNS, _invoice_rows(board)))
    add_sheet(book, tr.message("Payments"), *_words(tr, PAYMENT_COLUMNS, _payment_rows(board)))
    receivable = _words(tr, RECEIVABLE_COLUMNS, _receivable_rows(board))
    add_sheet(book, tr.message("Receivables"), *receivable)
    add_sheet(
        book,
        tr.message("Monthly"),
        _in(tr, MONTHLY_COLUMNS),
        ([m.month, m.billed, m.collected] for m in board.monthly),
    )
    save_workbook(book, path, heading=isp_name)


# Columns whose words are isk's own (standings, reasons): translated with the headers.
TRANSLATED = frozenset({"status", "standing", "access", "kind", "reason"})


def _in(tr: Translator, columns: Sequence[Column]) -> tuple[Column, ...]:
    """The columns with their headers in the language (English keeps the machine names
    scripts and the tests read)."""
    return tuple(Column(tr.message(column.title), column.kind) for column in columns)


def _words(
    tr: Translator, columns: Sequence[Column], rows: Iterator[list]
) -> tuple[tuple[Column, ...], Iterator[list]]:
    """Headers and isk's words in the language; dates and money stay typed values."""
    if tr.english:
        return tuple(columns), rows
    spots = [index for index, column in enumerate(columns) if column.title in TRANSLATED]

    def translated() -> Iterator[list]:
        for row in rows:
            for index in spots:
                if isinstance(row[index], str):
                    row[index] = tr.text(row[index])
            yield row

    return _in(tr, columns), translated()


# One list per row, in the order of the sheet's columns.


def _customer_rows(board: Dashboard) -> Iterator[list]:
    for r in board.customers:
        yield [
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


def _invoice_rows(board: Dashboard) -> Iterator[list]:
    for router, i in board.invoices:
        yield [
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


def _payment_rows(board: Dashboard) -> Iterator[list]:
    for router, e in board.payments:
        yield [
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


def _receivable_rows(board: Dashboard) -> Iterator[list]:
    for r in board.receivables:
        yield [
            r.invoice.id,
            r.invoice.customer,
            r.name,
            r.router,
            r.invoice.due,
            r.days_past_due,
            r.bucket,
            r.amount,
        ]
