"""render/status_data: the `isk-status/1` document and the summary rows, from the hand-built
ISP of tests/helpers/dashboard.py (its figures are worked out in tests/billing/test_report.py)."""

from __future__ import annotations

import json

from isk_reconcile.billing.report_types import RouterInfo
from isk_reconcile.errors import RouterError
from isk_reconcile.render.status_data import SUMMARY_COLUMNS, as_dict, summary_rows
from tests.helpers.dashboard import build


def test_status_document_is_json_and_matches_the_dashboard() -> None:
    info = {"r1": RouterInfo("R1", "7.18", "1d", 2), "r2": RouterError("r2", "timed out")}
    board = build(routers_info=info, drift={"r1": 1}, commit="abc123")
    document = json.loads(json.dumps(as_dict(board)))
    assert document["format"] == "isk-status/1"
    assert (document["as_of"], document["month"], document["commit"]) == (
        "2026-11-20",
        "2026-11",
        "abc123",
    )
    total = document["total"]
    assert total["customers"]["total"] == 7
    assert (total["billed"], total["collected"], total["credits"]) == (300_000, 250_000, 20_000)
    assert total["outstanding"] == 500_000
    assert total["aging"] == {"0-30": 200_000, "31-60": 150_000, "61-90": 150_000, ">90": 0}
    assert total["unreachable"] == ["r2"] and total["drift"] == 1
    r1, r2 = document["routers"]
    assert r1["reachable"] is True and r1["identity"] == "R1" and r1["active_sessions"] == 2
    assert r2["reachable"] is False and r2["error"] == "r2: timed out"
    assert document["expiring"] == [
        {
            "customer": "frank",
            "name": "Frank",
            "router": "r1",
            "profile": "home",
            "expires": "2026-11-23",
            "days_left": 3,
        }
    ]
    assert [row["customer"] for row in document["overdue"]] == ["erin", "dave", "bob"]
    assert len(document["monthly"]) == 12


def test_summary_rows_have_stable_columns_and_a_total_row() -> None:
    board = build()
    rows = summary_rows(board)
    assert [row["router"] for row in rows] == ["r1", "r2", "total"]
    assert all(list(row) == list(SUMMARY_COLUMNS) for row in rows)
    total = rows[-1]
    assert total["customers"] == 7 and total["outstanding"] == 500_000
    assert total["aging_31-60"] == 150_000
    for column in ("customers", "billed", "collected", "credits", "outstanding", "expiring"):
        assert rows[0][column] + rows[1][column] == total[column]
