"""`isk status`, `isk export`, `isk report` on a copy of the example ISP, with each
router simulated on a free loopback port (real librouteros sessions over TCP)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import librouteros
import openpyxl
import pytest

from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.render.status_data import SUMMARY_COLUMNS
from isk_reconcile.state.loader import load_state
from tests.helpers.live import AS_OF, SESSIONS, VERSIONS, LiveIsp, Run, run


def status_json(capsys, repo: Path, *args: str) -> tuple[dict, Run]:
    result = run(capsys, repo, "status", "--format", "json", *args)
    return json.loads(result.out), result


def test_status_json_reads_every_router(capsys, live_isp: LiveIsp) -> None:
    document, result = status_json(capsys, live_isp.repo)
    assert result.code == 0, result.err
    assert document["format"] == "isk-status/1"
    assert document["as_of"] == AS_OF and document["commit"] == live_isp.commit
    routers = {r["router"]: r for r in document["routers"]}
    assert list(routers) == list(VERSIONS)
    for name, router in routers.items():
        assert router["reachable"] is True and router["error"] is None
        assert router["identity"] == name
        assert router["version"].startswith(VERSIONS[name])
        assert router["uptime"]
        assert router["active_sessions"] == len(SESSIONS.get(name, []))
    assert document["total"]["active_sessions"] == 3
    assert document["total"]["unreachable"] == []
    # progress: one plain line per router on stderr, like `isk plan`
    assert sorted(result.err.splitlines()) == [f"read {name}: ok" for name in sorted(VERSIONS)]


def test_drift_counts_the_entries_apply_would_change(capsys, live_isp: LiveIsp) -> None:
    from datetime import date

    document, _ = status_json(capsys, live_isp.repo)
    state = load_state(live_isp.repo)
    plan = run_plan(state, date.fromisoformat(AS_OF))
    drift = {r["router"]: r["drift"] for r in document["routers"]}
    for router in plan.routers:  # empty routers: every profile and account is missing
        created = {c.name for c in router.changes if c.action == "create"}
        assert drift[router.router] == len(created) > 0
        assert drift[router.router] <= len(router.applicable)
    assert document["total"]["drift"] == sum(drift.values())


def test_drift_is_zero_after_apply_and_counts_an_account_once(capsys, live_isp) -> None:
    from datetime import date

    from isk_reconcile.reconcile.apply import run_apply

    state = load_state(live_isp.repo)
    day = date.fromisoformat(AS_OF)
    report = run_apply(run_plan(state, day), state)
    assert report.ok
    document, _ = status_json(capsys, live_isp.repo)
    assert document["total"]["drift"] == 0
    # an active account disabled by hand on the router, with a live session: the plan
    # enables it (and may disconnect the session), status counts one drifted account
    core = live_isp.sims["core-kudus"]
    password = live_isp.passwords["ISK_ROUTER_CORE_KUDUS_PASSWORD"]
    api = librouteros.connect("127.0.0.1", "isk-api", password, port=core.port)
    try:  # a technician's manual change, over the API
        secrets = api.path("ppp", "secret")
        found = next(s for s in secrets if s["name"] == "budi-santoso")
        tuple(secrets("disable", **{".id": found[".id"]}))
    finally:
        api.close()
    document, _ = status_json(capsys, live_isp.repo)
    assert document["routers"][0]["drift"] == 1 and document["total"]["drift"] == 1


def test_drift_is_left_out_with_a_note_when_passwords_cannot_be_decrypted(
    capsys, live_isp: LiveIsp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ISK_AGE_IDENTITY_FILE", raising=False)
    monkeypatch.delenv("ISK_AGE_IDENTITY", raising=False)
    document, result = status_json(capsys, live_isp.repo)
    assert result.code == 0
    assert all(r["drift"] is None and r["reachable"] for r in document["routers"])
    assert len(document["notes"]) == 1 and document["notes"][0].startswith("drift not counted")


def test_billing_figures_do_not_depend_on_the_routers(capsys, live_isp: LiveIsp) -> None:
    live, _ = status_json(capsys, live_isp.repo)
    offline, result = status_json(capsys, live_isp.repo, "--no-routers")
    assert result.code == 0
    assert all(r["reachable"] is None and r["active_sessions"] is None for r in offline["routers"])
    money = ("customers", "billed", "collected", "credits", "outstanding", "aging", "expiring")
    for key in money:
        assert live["total"][key] == offline["total"][key], key
    assert live["monthly"] == offline["monthly"]
    assert live["expiring"] == offline["expiring"] and live["overdue"] == offline["overdue"]
    total = offline["total"]
    assert total["customers"]["total"] == len(load_state(live_isp.repo).customers)
    assert sum(total["aging"].values()) == total["outstanding"] > 0
    for key in ("billed", "collected", "outstanding"):
        assert sum(r[key] for r in offline["routers"]) == total[key]


def test_unreachable_router_is_shown_and_exits_1(capsys, live_isp: LiveIsp) -> None:
    live_isp.sims["rw09-bae"].stop()
    document, result = status_json(capsys, live_isp.repo)
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == "error: 1 router(s) unreachable: rw09-bae"
    assert "read rw09-bae: failed" in result.err.splitlines()
    bae = document["routers"][2]
    assert bae["reachable"] is False and "connection refused" in bae["error"]
    assert bae["customers"]["total"] > 0 and bae["drift"] is None
    assert document["routers"][0]["reachable"] is True
    assert document["total"]["unreachable"] == ["rw09-bae"]

    table = run(capsys, live_isp.repo, "status")
    assert table.code == 1
    assert "unreachable: rw09-bae: cannot connect to 127.0.0.1:" in table.out
    assert "core-kudus" in table.out and "Receivables aging" in table.out


def test_table_shows_routers_money_aging_and_expiring(capsys, live_isp: LiveIsp) -> None:
    document, _ = status_json(capsys, live_isp.repo, "--no-routers")
    result = run(capsys, live_isp.repo, "status")
    assert result.code == 0, result.err
    out = result.out
    assert f"as of {AS_OF}" in out and live_isp.commit[:12] in out
    for name in VERSIONS:
        assert name in out and VERSIONS[name] in out
    from isk_reconcile.billing.engine import rupiah

    total = document["total"]
    for key in ("billed", "collected", "outstanding"):
        assert rupiah(total[key]) in out
    for row in document["expiring"]:
        assert row["customer"] in out
    assert "\x1b[" not in out  # --no-color and not a terminal: plain text


def test_csv_has_one_row_per_router_and_a_total(capsys, live_isp: LiveIsp) -> None:
    document, _ = status_json(capsys, live_isp.repo)
    result = run(capsys, live_isp.repo, "status", "--format", "csv")
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    assert [row["router"] for row in rows] == [*VERSIONS, "total"]
    assert int(rows[-1]["outstanding"]) == document["total"]["outstanding"]
    assert rows[0]["version"].startswith("7.18.2") and rows[0]["reachable"] == "true"


def test_router_option_limits_everything_to_that_router(capsys, live_isp: LiveIsp) -> None:
    whole, _ = status_json(capsys, live_isp.repo, "--no-routers")
    live_isp.sims["rw09-bae"].stop()  # not asked for, so not contacted
    document, result = status_json(capsys, live_isp.repo, "--router", "rw05-jati")
    assert result.code == 0, result.err
    assert [r["router"] for r in document["routers"]] == ["rw05-jati"]
    jati = next(r for r in whole["routers"] if r["router"] == "rw05-jati")
    assert document["total"]["outstanding"] == jati["outstanding"]
    assert document["total"]["customers"] == jati["customers"]
    assert {row["router"] for row in document["overdue"]} <= {"rw05-jati"}


def test_unknown_router_is_one_line_error(capsys, live_isp: LiveIsp) -> None:
    result = run(capsys, live_isp.repo, "status", "--router", "nope")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "unknown router" in result.err
    assert result.out == ""


def test_no_secret_in_any_output(capsys, live_isp: LiveIsp, tmp_path: Path) -> None:
    outputs = [
        run(capsys, live_isp.repo, "status"),
        run(capsys, live_isp.repo, "status", "--format", "json"),
        run(capsys, live_isp.repo, "export", "--xlsx", str(tmp_path / "isp.xlsx")),
        run(capsys, live_isp.repo, "report", "--html", str(tmp_path / "site")),
    ]
    texts = [r.out + r.err for r in outputs]
    texts.append((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(tmp_path / "isp.xlsx")
    texts += [
        " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
        for sheet in book.worksheets
    ]
    from isk_reconcile.reconcile.passwords import decrypt_passwords

    customer_passwords = decrypt_passwords(load_state(live_isp.repo), __import__("os").environ)
    assert customer_passwords
    secrets = [*live_isp.passwords.values(), *customer_passwords.values()]
    for text in texts:
        for secret in secrets:
            assert secret not in text
        assert "age:" not in text  # not even the ciphertext


class Figures(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "data-figure" in values:
            self.values[(values["data-scope"] or "", values["data-figure"] or "")] = (
                values["data-value"] or ""
            )


def test_status_workbook_and_page_agree_on_every_figure(capsys, live_isp, tmp_path) -> None:
    """The issue's "done when": isk status, the workbook and the HTML page agree."""
    document, result = status_json(capsys, live_isp.repo)
    assert result.code == 0
    export = run(capsys, live_isp.repo, "export", "--xlsx", str(tmp_path / "isp.xlsx"))
    assert export.code == 0, export.err
    report = run(capsys, live_isp.repo, "report", "--html", str(tmp_path / "site"))
    assert report.code == 0, report.err

    book = openpyxl.load_workbook(tmp_path / "isp.xlsx")
    sheet = book["Summary"].iter_rows(values_only=True)
    header = next(sheet)
    summary = {}
    for row in sheet:
        if row[0] is None:
            break
        summary[row[0]] = dict(zip(header, row, strict=True))
    page = Figures((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))

    scopes = [("total", "total", document["total"])]
    scopes += [(r["router"], f"router:{r['router']}", r) for r in document["routers"]]
    compared = 0
    for name, scope, expected in scopes:
        row = summary[name]
        for key in ("billed", "collected", "credits", "outstanding", "expiring", "drift"):
            assert row[key] == expected[key], (name, key)
            compared += 1
        assert row["active_sessions"] == expected["active_sessions"]
        for key, count in expected["customers"].items():
            column = "customers" if key == "total" else key
            assert row[column] == count, (name, key)
        for label, amount in expected["aging"].items():
            assert row[f"aging_{label}"] == amount
        for key in ("billed", "collected", "outstanding", "expiring", "drift", "active_sessions"):
            assert page.values[(scope, key)] == str(expected[key]), (scope, key)
        for key in ("total", "active", "suspended", "free", "terminated"):
            assert page.values[(scope, f"customers.{key}")] == str(expected["customers"][key])
    for label, amount in document["total"]["aging"].items():
        assert page.values[("total", f"aging.{label}")] == str(amount)
    monthly = list(book["Monthly"].iter_rows(values_only=True))[1:]
    assert [list(row) for row in monthly] == [
        [m["month"], m["billed"], m["collected"]] for m in document["monthly"]
    ]
    customers = list(book["Customers"].iter_rows(values_only=True))[1:]
    assert len(customers) == document["total"]["customers"]["total"]
    assert compared == 6 * 4


def test_expiring_agrees_with_isk_customers_expiring_within(capsys, live_isp: LiveIsp) -> None:
    document, _ = status_json(capsys, live_isp.repo, "--no-routers")
    listed = run(capsys, live_isp.repo, "customers", "--expiring-within", "7", "--format", "json")
    assert listed.code == 0, listed.err
    ids = {row["id"] for row in json.loads(listed.out)}
    assert ids == {row["customer"] for row in document["expiring"]}
    assert len(ids) == document["total"]["expiring"] > 0


def test_unwritable_outputs_are_one_line_errors(capsys, live_isp: LiveIsp, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    export = run(capsys, live_isp.repo, "export", "--no-routers", "--xlsx", str(blocker / "x.xlsx"))
    report = run(capsys, live_isp.repo, "report", "--no-routers", "--html", str(blocker / "site"))
    for result in (export, report):
        assert result.code == 1
        assert result.err.startswith("error: cannot write ") and result.err.count("\n") == 1
        assert str(blocker) in result.err
