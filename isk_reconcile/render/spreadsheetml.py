"""A minimal SpreadsheetML (.xlsx) writer: one table per sheet, a bold frozen header row,
filters, fitted widths, dates as dates and money in a rupiah format.

openpyxl's writer builds an XML element per cell in pure Python (without lxml): about
100 s for the 3.7 million cells of the reference ISP. The workbook is simple enough to
write as text instead (a few seconds): inline strings, a few cell styles. openpyxl reads
it back in the tests. `render.xlsx` decides what the sheets hold.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

RUPIAH_FORMAT = '"Rp"#,##0;-"Rp"#,##0'
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
HEADER_COLOR = "1F4E79"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | int | money | date | bool


# Cell styles (indices into cellXfs in _STYLES): plain, and bold for the totals row.
_PLAIN = {"text": 0, "int": 4, "money": 2, "date": 3, "bool": 0}
_BOLD = {"text": 5, "int": 7, "money": 6, "date": 8, "bool": 5}
_HEADER = 1
_EXCEL_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 cannot hold (Excel refuses the file): dropped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2">'
    f'<numFmt numFmtId="164" formatCode={quoteattr(RUPIAH_FORMAT)}/>'
    f'<numFmt numFmtId="165" formatCode={quoteattr(DATE_FORMAT)}/>'
    "</numFmts>"
    '<fonts count="3">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{HEADER_COLOR}"/>'
    f'<bgColor rgb="FF{HEADER_COLOR}"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="9">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'  # 0 plain
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'  # 5 bold
    '<xf numFmtId="164" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: list[list]
    total_last: bool
    notes: Sequence[tuple[str, object]]

    @property
    def table_ref(self) -> str:
        return f"A1:{column_letter(len(self.columns))}{len(self.rows) + 1}"


def column_letter(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def add_sheet(
    book: list[Sheet],
    title: str,
    columns: Sequence[Column],
    rows: Iterable[list],
    *,
    total_last: bool = False,
    notes: Sequence[tuple[str, object]] = (),
) -> None:
    book.append(Sheet(title, columns, list(rows), total_last, notes))


def save_workbook(book: Sequence[Sheet], path: Path, *, heading: str = "") -> None:
    """The file; `heading` (the ISP's name) is its title and every sheet's printed header."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(book)))
        archive.writestr(
            "_rels/.rels",
            f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG}/relationships/metadata/core-properties"'
            ' Target="docProps/core.xml"/>'
            "</Relationships>",
        )
        archive.writestr("docProps/core.xml", _core_properties(heading))
        archive.writestr("xl/workbook.xml", _workbook_xml(book))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(book)))
        archive.writestr("xl/styles.xml", _STYLES)
        for number, sheet in enumerate(book, start=1):
            with (
                archive.open(f"xl/worksheets/sheet{number}.xml", "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
            ):
                _write_sheet(sheet, out, heading)


def _core_properties(title: str) -> str:
    """The file's properties: its title is the ISP's name (Excel shows it in Info)."""
    text = escape(_ILLEGAL.sub("", title))
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="{_PKG}/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{text}</dc:title></cp:coreProperties>"
    )


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        f'{_XML}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/>'
        f"{overrides}</Types>"
    )


def _workbook_xml(book: Sequence[Sheet]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(sheet.title)} sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(book, start=1)
    )
    # Excel's own name for each sheet's filter range.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{_quoted(sheet.title)}!{_absolute(sheet.table_ref)}"
        "</definedName>"
        for n, sheet in enumerate(book)
    )
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets><definedNames>{filters}</definedNames></workbook>"
    )


def _quoted(title: str) -> str:
    """A sheet name as formulas write it: in single quotes, a quote inside doubled."""
    doubled = title.replace("'", "''")
    return escape(f"'{doubled}'")


def _absolute(ref: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _workbook_rels(sheets: int) -> str:
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return f'{_XML}<Relationships xmlns="{_PKG}/relationships">{links}{styles}</Relationships>'


def _write_sheet(sheet: Sheet, out: io.TextIOWrapper, heading: str = "") -> None:
    columns = sheet.columns
    letters = [column_letter(n) for n in range(1, len(columns) + 1)]
    widths = _widths(columns, sheet.rows)
    last_row = len(sheet.rows) + 1 + (len(sheet.notes) + 1 if sheet.notes else 0)
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{min(width + 2, MAX_WIDTH)}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    out.write(
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<dimension ref="A1:{letters[-1]}{last_row}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
    )
    header = [
        _cell(f"{letter}1", title, _HEADER)
        for letter, title in zip(letters, (column.title for column in columns), strict=True)
    ]
    out.write(f'<row r="1">{"".join(header)}</row>')
    plain = [_writer(column.kind, _PLAIN[column.kind]) for column in columns]
    bold = [_writer(column.kind, _BOLD[column.kind]) for column in columns]
    total_at = len(sheet.rows) if sheet.total_last else -1
    chunk: list[str] = []
    for number, values in enumerate(sheet.rows, start=1):
        row = str(number + 1)
        writers = bold if number == total_at else plain
        chunk.append(f'<row r="{row}">')
        chunk.extend(
            write(letter + row, value)
            for letter, write, value in zip(letters, writers, values, strict=True)
            if value is not None
        )
        chunk.append("</row>")
        if len(chunk) > 20_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
    # Notes below the table, after one empty row: label, value.
    for offset, (label, value) in enumerate(sheet.notes, start=len(sheet.rows) + 3):
        style = _PLAIN["date"] if isinstance(value, date) else 0
        out.write(f'<row r="{offset}">{_cell(f"A{offset}", label)}')
        out.write(f"{_cell(f'B{offset}', value, style)}</row>")
    out.write(f'</sheetData><autoFilter ref="{sheet.table_ref}"/>')
    if heading:  # printed pages are headed by the ISP's name ("&&": a literal "&")
        text = escape(_ILLEGAL.sub("", heading).replace("&", "&&"))
        out.write(f"<headerFooter><oddHeader>&amp;C{text}</oddHeader></headerFooter>")
    out.write("</worksheet>")


def _cell(ref: str, value: object, style: int = 0) -> str:
    """One cell of any value: numbers and booleans typed, dates as Excel serial days
    (with a date style), text inline."""
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f'<c r="{ref}"{s}><v>{(day - _EXCEL_EPOCH).days}</v></c>'
    text = str(value)
    if text == "":
        return ""
    if not text.isprintable():
        text = _ILLEGAL.sub("", text)
    text = escape(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _writer(kind: str, style: int) -> Callable[[str, object], str]:
    """`_cell` for one column: a short path for the type the column holds (most of the
    3.7 million cells of a large ISP), `_cell` for anything else."""
    s = f' s="{style}"' if style else ""
    if kind in ("money", "int"):

        def number(ref: str, value: object) -> str:
            if type(value) is int:
                return f'<c r="{ref}"{s}><v>{value}</v></c>'
            return _cell(ref, value, style)

        return number
    if kind == "date":

        def day(ref: str, value: object) -> str:
            if type(value) is date:
                return f'<c r="{ref}"{s}><v>{(value - _EXCEL_EPOCH).days}</v></c>'
            return _cell(ref, value, style)

        return day
    if kind == "text":

        def text(ref: str, value: object) -> str:
            if value == "":  # an empty cell, as openpyxl writes it
                return ""
            if type(value) is str and value.isprintable() and value.strip() == value:
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                return f'<c r="{ref}"{s} t="inlineStr"><is><t>{value}</t></is></c>'
            return _cell(ref, value, style)

        return text
    return lambda ref, value: _cell(ref, value, style)


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> list[int]:
    """Each column's width in characters: its title or its longest value as shown
    (money as "Rp1,234,567", dates as yyyy-mm-dd, booleans as TRUE/FALSE)."""
    widths = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        longest = 0
        if values and all(type(value) is int for value in values):
            shown = "Rp{:,}" if column.kind == "money" else "{}"
            longest = max(len(shown.format(max(values))), len(shown.format(min(values))))
        elif values and all(type(value) is str for value in values):
            longest = max(map(len, values))
        elif values:
            longest = max(map(_width, values))
        widths.append(max(len(column.title), longest))
    return widths


def _width(value: object) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, date):
        return 10
    if isinstance(value, int):
        return len(f"Rp{value:,}")
    return len(str(value))
