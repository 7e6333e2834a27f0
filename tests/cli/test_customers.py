"""`isk customers` and `isk customer show` on the example ISP and on small hand-written repos."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.report_types import category
from isk_reconcile.state.loader import load_state
from tests.helpers.textrepo import AS_OF, isk, isk_json, person, write_repo

CUSTOMER_COLUMNS = [
    "id", "name", "router", "profile", "status", "standing", "access", "reason",
    "paid_through", "balance", "phone",
]  # fmt: skip


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    return write_repo(
        tmp_path / "small",
        {
            "ani": person("Ani Paid", extra="notes: ODP-07 port 2\n"),
            "budi": person("Budi Late"),
            "cici": person("Cici Free", extra="status: free\n"),
            "dodi": person("Dodi Held", extra="status: suspended\nsuspend_reason: moved house\n"),
            "eka": person("Eka Gone", extra="status: terminated\nend: 2026-02-01\n"),
            "fani": person("Fani Soon", start="2026-03-01"),
            "gita": person("Gita Edge", extra="router: edge\n").replace("router: core\n", "", 1),
        },
        payments="""\
            - {id: P-1, customer: ani, amount: 300000, date: 2026-01-15, method: cash}
            - {id: P-2, customer: budi, amount: 150000, date: 2026-01-16, method: qris}
            - {id: P-3, customer: gita, amount: 150000, date: 2026-01-15, method: cash}
            - {id: P-4, customer: gita, amount: 150000, date: 2026-02-14, method: cash}
            """,
    )


# --- hand-written repo: exact figures ------------------------------------------------------


def test_customers_json_has_the_stable_columns_and_exact_figures(small_repo: Path):
    rows = isk_json(small_repo, "customers", as_of="2026-02-18")
    assert [row["id"] for row in rows] == ["ani", "budi", "cici", "dodi", "eka", "fani", "gita"]
    assert all(list(row) == CUSTOMER_COLUMNS for row in rows)
    by_id = {row["id"]: row for row in rows}
    assert by_id["budi"] == {
        "id": "budi",
        "name": "Budi Late",
        "router": "core",
        "profile": "home-10m",
        "status": "active",
        "standing": "suspended-unpaid",
        "access": "suspended",
        "reason": "unpaid invoice budi/2026-02-14 (Rp150.000) due 2026-02-14, "
        "grace ended 2026-02-17",
        "paid_through": "2026-02-13",
        "balance": -150000,
        "phone": "+62812000",
    }
    assert (by_id["ani"]["standing"], by_id["ani"]["access"]) == ("active", "enabled")
    assert (by_id["ani"]["paid_through"], by_id["ani"]["balance"]) == ("2026-03-15", 0)
    assert by_id["ani"]["reason"] == "paid through 2026-03-15 (P-1)"
    assert (by_id["cici"]["standing"], by_id["cici"]["access"]) == ("free", "enabled")
    assert by_id["cici"]["paid_through"] is None
    assert (by_id["dodi"]["standing"], by_id["dodi"]["access"]) == ("suspended-manual", "suspended")
    assert by_id["dodi"]["reason"] == "suspended by hand: moved house"
    assert (by_id["eka"]["standing"], by_id["eka"]["access"], by_id["eka"]["reason"]) == (
        "terminated",
        "absent",
        "terminated on 2026-02-01",
    )
    assert (by_id["fani"]["standing"], by_id["fani"]["access"], by_id["fani"]["reason"]) == (
        "not-started",
        "absent",
        "service starts 2026-03-01",
    )
    assert (by_id["gita"]["standing"], by_id["gita"]["access"]) == ("active", "enabled")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", ["ani", "gita"]),  # enabled and paying
        ("enabled", ["ani", "cici", "gita"]),
        ("suspended", ["budi", "dodi"]),  # unpaid past grace, or by hand
        ("free", ["cici"]),
        ("terminated", ["eka"]),
        ("absent", ["eka", "fani"]),  # terminated past end, or not started
    ],
)
def test_status_filter(small_repo: Path, status: str, expected: list[str]):
    rows = isk_json(small_repo, "customers", "--status", status, as_of="2026-02-18")
    assert [row["id"] for row in rows] == expected


def test_router_profile_and_search_filters(small_repo: Path):
    assert [r["id"] for r in isk_json(small_repo, "customers", "--router", "edge")] == ["gita"]
    assert isk_json(small_repo, "customers", "--profile", "home-20m") == []
    assert len(isk_json(small_repo, "customers", "--profile", "home-10m")) == 7
    # Case-insensitive, over name, notes, id ...
    assert [r["id"] for r in isk_json(small_repo, "customers", "--search", "bUdI")] == ["budi"]
    assert [r["id"] for r in isk_json(small_repo, "customers", "--search", "odp-07")] == ["ani"]
    assert isk_json(small_repo, "customers", "--search", "nobody-here") == []
    # ... and filters combine.
    combined = isk_json(
        small_repo, "customers", "--router", "core", "--status", "enabled", "--search", "I",
        as_of="2026-02-18",
    )  # fmt: skip
    assert [r["id"] for r in combined] == ["ani", "cici"]


def test_search_never_matches_the_password(small_repo: Path):
    assert isk_json(small_repo, "customers", "--search", "s3cret") == []


def test_expiring_within_lists_enabled_accounts_paid_through_soon(small_repo: Path):
    # On 2026-03-10: ani is paid through 2026-03-15, gita through 2026-03-15 too.
    assert [
        r["id"] for r in isk_json(small_repo, "customers", "--expiring-within", "5",
                                  as_of="2026-03-10")
    ] == ["ani", "gita"]  # fmt: skip
    assert isk_json(small_repo, "customers", "--expiring-within", "4", as_of="2026-03-10") == []


def test_unknown_router_is_one_line_with_a_hint(small_repo: Path):
    code, out, err = isk(small_repo, "customers", "--router", "cor")
    assert (code, out) == (1, "")
    assert err == "error: no such router: cor (did you mean 'core'?)\n"


def test_bad_status_is_refused(small_repo: Path):
    code, _, err = isk(small_repo, "customers", "--status", "late")
    assert code != 0
    assert "late" in err


def test_csv_has_a_header_row_and_raw_values(small_repo: Path):
    code, out, _ = isk(small_repo, "customers", "--format", "csv", as_of="2026-02-18")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == CUSTOMER_COLUMNS
    budi = dict(zip(rows[0], rows[2], strict=True))
    assert (budi["id"], budi["balance"], budi["paid_through"]) == ("budi", "-150000", "2026-02-13")
    cici = dict(zip(rows[0], rows[3], strict=True))
    assert cici["paid_through"] == ""


def test_table_is_plain_text_when_not_a_terminal(small_repo: Path):
    code, out, _ = isk(small_repo, "customers", as_of="2026-02-18")
    assert code == 0
    assert "\x1b[" not in out
    assert out.splitlines()[0] == "7 customers on 2026-02-18"
    assert "-Rp150.000" in out
    assert "grace ended 2026-02-17" in out


def test_customer_show_tells_details_invoices_ledger_and_reason(small_repo: Path):
    code, out, err = isk(small_repo, "customer", "show", "budi", as_of="2026-02-18")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "budi — Budi Late (as of 2026-02-18)"
    assert "suspended: unpaid invoice budi/2026-02-14 (Rp150.000)" in out
    for heading in ("Profile history", "Invoices (2)", "Ledger (1)"):
        assert heading in out
    assert "budi/2026-01-15" in out and "P-2" in out
    assert "s3cret" not in out


def test_customer_show_json(small_repo: Path):
    details = isk_json(small_repo, "customer", "show", "ani", as_of="2026-02-18")
    assert (details["standing"], details["access"], details["cause"], details["paid_through"]) == (
        "active",
        "enabled",
        "paid",
        "2026-03-15",
    )
    assert [(i["id"], i["status"], i["paid_on"], i["paid_by"]) for i in details["invoices"]] == [
        ("ani/2026-01-15", "paid", "2026-01-15", "P-1"),
        ("ani/2026-02-14", "paid", "2026-01-15", "P-1"),
    ]
    assert details["profile_history"] == [
        {"from": "2026-01-15", "profile": "home-10m", "price": 150000}
    ]
    assert details["ledger"] == [
        {
            "id": "P-1",
            "date": "2026-01-15",
            "kind": "payment",
            "method": "cash",
            "amount": 300000,
            "reference": "",
            "note": "",
            "counted": True,
        }
    ]
    assert "password" not in json.dumps(details)


def test_customer_show_unknown_id_suggests_the_close_one(small_repo: Path):
    code, out, err = isk(small_repo, "customer", "show", "budy")
    assert (code, out) == (1, "")
    assert err == "error: no such customer: budy (did you mean 'budi'?)\n"


# --- the example ISP ---------------------------------------------------------------------------


def test_example_customers_agree_with_the_billing_engine(example_repo: Path):
    rows = isk_json(example_repo, "customers")
    engine = standings(load_state(example_repo), date.fromisoformat(AS_OF))
    assert [row["id"] for row in rows] == list(engine)
    for row in rows:
        found = engine[row["id"]]
        assert row["standing"] == category(found)  # the workbook's and dashboard's group
        assert row["access"] == found.access
        assert row["reason"] == found.reason
        assert row["balance"] == found.balance
        paid_through = found.paid_through.isoformat() if found.paid_through else None
        assert row["paid_through"] == paid_through


def test_example_suspended_customers(example_repo: Path):
    state = load_state(example_repo)
    rows = isk_json(example_repo, "customers", "--status", "suspended")
    assert rows, "the example ISP has suspended customers"
    assert all(row["access"] == "suspended" for row in rows)
    assert {row["standing"] for row in rows} == {"suspended-unpaid", "suspended-manual"}
    ids = {row["id"] for row in rows}
    # Every customer suspended by hand is in the list, and the rest owe money past grace.
    by_hand = {
        cid
        for cid, c in state.customers.items()
        if c.status == "suspended" and not c.protect and c.start <= date.fromisoformat(AS_OF)
    }
    assert by_hand <= ids
    for row in rows:
        if row["id"] not in by_hand:
            assert row["reason"].startswith("unpaid invoice ")
            assert row["balance"] < 0


def test_example_expiring_within_seven_days(example_repo: Path):
    rows = isk_json(example_repo, "customers", "--expiring-within", "7")
    horizon = (date.fromisoformat(AS_OF) + timedelta(days=7)).isoformat()
    assert rows
    assert all(row["access"] == "enabled" and row["paid_through"] <= horizon for row in rows)
    assert all(row["standing"] == "active" for row in rows)


def test_example_show_never_prints_password_material(example_repo: Path):
    state = load_state(example_repo)
    cid = sorted(state.customers)[0]
    for fmt in ("table", "json"):
        code, out, _ = isk(example_repo, "customer", "show", cid, "--format", fmt)
        assert code == 0
        assert "age:" not in out
        assert "password" not in out
