"""`isk invoices` and `isk receivables`: a hand-written repo (exact figures), the example ISP."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.state.loader import load_state
from tests.helpers.textrepo import AS_OF, isk, isk_json, person, write_repo

INVOICE_COLUMNS = [
    "id", "customer", "period_start", "period_end", "due", "profile", "amount", "paid",
    "outstanding", "status", "paid_on", "paid_by",
]  # fmt: skip
RECEIVABLE_COLUMNS = [
    "customer", "name", "router", "standing", "access", "invoices", "oldest_due", "days_0_30",
    "days_31_60", "days_61_90", "days_over_90", "total",
]  # fmt: skip


@pytest.fixture
def owing_repo(tmp_path: Path) -> Path:
    return write_repo(
        tmp_path / "owing",
        {
            "ani": person("Ani Owes"),  # from 2026-01-15, 30-day periods, Rp150.000
            "budi": person("Budi Partial", start="2026-03-01"),
            "eka": person("Eka Gone", extra="status: terminated\nend: 2026-02-01\n"),
        },
        payments="""\
            - {id: P-1, customer: budi, amount: 100000, date: 2026-03-01, method: cash}
            - {id: P-2, customer: eka, amount: 150000, date: 2026-01-15, method: cash}
            - {id: R-1, customer: ani, amount: 1, date: 2026-01-20, kind: refund, method: cash}
            """,
    )


def test_invoices_json_exact(owing_repo: Path):
    rows = isk_json(owing_repo, "invoices", "--customer", "budi", as_of="2026-04-15")
    assert [list(row) for row in rows] == [INVOICE_COLUMNS] * 2
    assert rows == [
        {
            "id": "budi/2026-03-01",
            "customer": "budi",
            "period_start": "2026-03-01",
            "period_end": "2026-03-30",
            "due": "2026-03-01",
            "profile": "home-10m",
            "amount": 150000,
            "paid": 100000,
            "outstanding": 50000,
            "status": "partial",
            "paid_on": None,
            "paid_by": None,
        },
        {
            "id": "budi/2026-03-31",
            "customer": "budi",
            "period_start": "2026-03-31",
            "period_end": "2026-04-29",
            "due": "2026-03-31",
            "profile": "home-10m",
            "amount": 150000,
            "paid": 0,
            "outstanding": 150000,
            "status": "unpaid",
            "paid_on": None,
            "paid_by": None,
        },
    ]


def test_invoices_filters(owing_repo: Path):
    every = isk_json(owing_repo, "invoices", as_of="2026-04-15")
    assert [r["id"] for r in every] == [
        "ani/2026-01-15", "ani/2026-02-14", "ani/2026-03-16", "ani/2026-04-15",
        "budi/2026-03-01", "budi/2026-03-31",
        "eka/2026-01-15",
    ]  # fmt: skip
    unpaid = isk_json(owing_repo, "invoices", "--unpaid", as_of="2026-04-15")
    assert [r["id"] for r in unpaid] == [r["id"] for r in every if r["id"] != "eka/2026-01-15"]
    march = isk_json(owing_repo, "invoices", "--month", "2026-03", as_of="2026-04-15")
    assert [r["id"] for r in march] == ["ani/2026-03-16", "budi/2026-03-01", "budi/2026-03-31"]
    both = isk_json(
        owing_repo, "invoices", "--month", "2026-03", "--customer", "ani", "--unpaid",
        as_of="2026-04-15",
    )  # fmt: skip
    assert [r["id"] for r in both] == ["ani/2026-03-16"]


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "march", "2026-03-01"])
def test_invoices_refuses_a_malformed_month(owing_repo: Path, month: str):
    code, out, err = isk(owing_repo, "invoices", "--month", month)
    assert code != 0 and out == ""
    assert "YYYY-MM" in err


def test_invoices_for_an_unknown_customer_is_an_error(owing_repo: Path):
    code, _, err = isk(owing_repo, "invoices", "--customer", "anni")
    assert code == 1
    assert err == "error: no such customer: anni (did you mean 'ani'?)\n"


def test_invoices_table_has_a_totals_row(owing_repo: Path):
    code, out, _ = isk(owing_repo, "invoices", "--unpaid", as_of="2026-04-15")
    assert code == 0
    last = out.strip().splitlines()[-1].split()
    # 6 invoices; amount 6 x 150.000, paid 100.000 (budi's partial), outstanding the rest.
    assert last == ["6", "invoices", "Rp900.000", "Rp100.000", "Rp800.000"]


def test_receivables_per_customer_exact(owing_repo: Path):
    rows = isk_json(owing_repo, "receivables", as_of="2026-04-15")
    assert rows == [
        {
            "customer": "ani",
            "name": "Ani Owes",
            "router": "core",
            "standing": "suspended-unpaid",
            "access": "suspended",
            "invoices": 4,
            "oldest_due": "2026-01-15",
            "days_0_30": 300000,  # due 04-15 (0 days) and 03-16 (30 days)
            "days_31_60": 150000,  # due 02-14: 60 days
            "days_61_90": 150000,  # due 01-15: 90 days
            "days_over_90": 0,
            "total": 600000,
        },
        {
            "customer": "budi",
            "name": "Budi Partial",
            "router": "core",
            "standing": "suspended-unpaid",
            "access": "suspended",
            "invoices": 2,
            "oldest_due": "2026-03-01",
            "days_0_30": 150000,
            "days_31_60": 50000,
            "days_61_90": 0,
            "days_over_90": 0,
            "total": 200000,
        },
    ]


def test_receivables_include_a_terminated_customer_who_still_owes(tmp_path: Path):
    repo = write_repo(
        tmp_path / "gone",
        {"eka": person("Eka Gone", extra="status: terminated\nend: 2026-02-01\n")},
    )
    rows = isk_json(repo, "receivables", as_of="2026-06-01")
    assert [
        (r["customer"], r["standing"], r["access"], r["days_over_90"], r["days_61_90"])
        for r in rows
    ] == [
        ("eka", "terminated", "absent", 150000, 0)  # one period (01-15 to 02-13), 137 days
    ]


def test_receivables_detail_rows_per_invoice(owing_repo: Path):
    rows = isk_json(owing_repo, "receivables", "--detail", as_of="2026-04-15")
    assert [(r["invoice"], r["outstanding"], r["days_past_due"], r["bucket"]) for r in rows] == [
        ("ani/2026-01-15", 150000, 90, "61-90"),
        ("ani/2026-02-14", 150000, 60, "31-60"),
        ("budi/2026-03-01", 50000, 45, "31-60"),
        ("ani/2026-03-16", 150000, 30, "0-30"),
        ("budi/2026-03-31", 150000, 15, "0-30"),
        ("ani/2026-04-15", 150000, 0, "0-30"),
    ]


def test_receivables_csv_and_table(owing_repo: Path):
    code, out, _ = isk(owing_repo, "receivables", "--format", "csv", as_of="2026-04-15")
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == RECEIVABLE_COLUMNS
    assert [row[0] for row in table[1:]] == ["ani", "budi"]  # no totals row in CSV
    code, out, _ = isk(owing_repo, "receivables", as_of="2026-04-15")
    assert code == 0
    assert out.splitlines()[0] == (
        "Receivables on 2026-04-15: Rp800.000 "
        "(0-30: Rp450.000, 31-60: Rp200.000, 61-90: Rp150.000, >90: Rp0)"
    )
    assert out.strip().splitlines()[-1].split() == [
        "total", "6", "Rp450.000", "Rp200.000", "Rp150.000", "Rp0", "Rp800.000",
    ]  # fmt: skip


def test_no_receivables_is_an_empty_list(tmp_path: Path):
    repo = write_repo(tmp_path / "none", {"ani": person("Ani", extra="status: free\n")})
    assert isk_json(repo, "receivables") == []
    code, out, _ = isk(repo, "receivables")
    assert code == 0 and out.startswith("Receivables on 2026-11-29: Rp0 ")


# --- the example ISP ---------------------------------------------------------------------------


def test_example_receivables_agree_with_the_engine(example_repo: Path):
    state = load_state(example_repo)
    owed = receivables(state, date.fromisoformat(AS_OF))
    rows = isk_json(example_repo, "receivables")
    assert owed.total > 0
    assert sum(row["total"] for row in rows) == owed.total
    for bucket, column in zip(owed.buckets, RECEIVABLE_COLUMNS[7:11], strict=True):
        assert sum(row[column] for row in rows) == bucket.amount
    assert all(row["total"] > 0 for row in rows)
    assert [row["total"] for row in rows] == sorted((row["total"] for row in rows), reverse=True)
    detail = isk_json(example_repo, "receivables", "--detail")
    assert len(detail) == len(owed.items) == sum(row["invoices"] for row in rows)


def test_example_invoices_agree_with_the_engine(example_repo: Path):
    state = load_state(example_repo)
    engine = standings(state, date.fromisoformat(AS_OF))
    rows = isk_json(example_repo, "invoices")
    assert len(rows) == sum(len(s.invoices) for s in engine.values())
    unpaid = isk_json(example_repo, "invoices", "--unpaid")
    assert unpaid and all(row["outstanding"] > 0 for row in unpaid)
    assert len(unpaid) == sum(1 for row in rows if row["outstanding"] > 0)
    november = isk_json(example_repo, "invoices", "--month", "2026-11")
    assert november and all(row["period_start"].startswith("2026-11-") for row in november)
