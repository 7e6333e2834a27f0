"""The workbook in the ISP's language, headed by its name (read back with openpyxl)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from isk_reconcile.render.xlsx import write_workbook
from tests.helpers.dashboard import build

ISP = "PT Sistem & Data <Kudus>"


def test_indonesian_workbook_has_indonesian_sheets_headers_and_words(tmp_path: Path) -> None:
    path = tmp_path / "isp.xlsx"
    write_workbook(build(commit="0123456789abcdef"), path, language="id", isp_name=ISP)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Ringkasan", "Pelanggan", "Tagihan", "Pembayaran", "Piutang", "Bulanan",
    ]  # fmt: skip
    customers = book["Pelanggan"]
    header = [cell.value for cell in customers[1]]
    assert header[:4] == ["id", "nama", "router", "paket"] and "lunas sampai" in header
    standing = header.index("keadaan")
    values = {row[standing] for row in customers.iter_rows(min_row=2, values_only=True)}
    assert "diputus-menunggak" in values and "suspended-unpaid" not in values
    reasons = [row[-1] for row in customers.iter_rows(min_row=2, values_only=True)]
    assert any(reason and reason.startswith("tagihan ") for reason in reasons)
    paid = [row[header.index("lunas sampai")] for row in customers.iter_rows(min_row=2)]
    assert any(cell.value and cell.is_date for cell in paid)  # dates stay dates
    summary = book["Ringkasan"]
    notes = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert notes["ISP"] == ISP and notes["per tanggal"].date() == date(2026, 11, 20)
    assert book.properties.title == ISP
    assert customers.oddHeader.center.text in (ISP, ISP.replace("&", "&&"))  # printed pages


def test_english_workbook_keeps_the_machine_names(tmp_path: Path) -> None:
    path = tmp_path / "isp.xlsx"
    write_workbook(build(), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Summary"
    assert [cell.value for cell in book["Customers"][1]][:2] == ["id", "name"]
    assert book.properties.title is None or book.properties.title == ""
