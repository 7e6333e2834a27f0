"""Renderers keep untrusted text as text (issue 9): whatever a customer name or a
router comment holds, the PR comment shows every change, no output holds a control
character, and no CSV cell is a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.render.plan_json import render_json
from isk_reconcile.render.plan_markdown import render_markdown
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.render.tables import render_csv
from isk_reconcile.untrusted import CONTROL
from tests.helpers.examples import scaled

CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# What must never appear unescaped in a PR comment outside code spans (the renderer's own
# text uses only ** and parentheses): HTML, links, images, mentions, stray code fences.
MARKUP = re.compile(r"(?<!\\)[<>\[\]`@~!&]")
HOSTILE = st.text(
    alphabet=st.sampled_from(list("ab <>!-[]()*_`|~&@#\\:\n\r\t\x1b\x07\x85\u202e")), max_size=30
)


def plan_with(names: list[str], reasons: list[str]) -> Plan:
    changes = tuple(
        Change("update", "secret", name, None, reason, {"comment": (reason, name)})
        for name, reason in zip(names, reasons, strict=True)
    )
    summary = {"update": len(changes)}
    routers = (
        RouterPlan("r1", "ok", summary=summary, changes=changes, notes=("note " + "".join(names),)),
        RouterPlan("r2", "skipped", notes=("connection settings changed <!--",)),
        RouterPlan("r3", "error", error="r3: trap: " + "".join(reasons)),
    )
    return Plan(date(2026, 11, 29), None, routers, warnings=("r1: tls <b>",))


@settings(max_examples=scaled(150), deadline=None)
@given(st.lists(st.tuples(HOSTILE, HOSTILE), min_size=1, max_size=6))
def test_markdown_shows_every_change_and_no_markup(pairs: list[tuple[str, str]]) -> None:
    names, reasons = [name for name, _ in pairs], [reason for _, reason in pairs]
    markdown = render_markdown(plan_with(names, reasons))
    body = markdown.split("\n", 1)[1]  # after the marker, the only HTML comment
    assert len(re.findall(r"^- \*\*update\*\* secret ", body, re.MULTILINE)) == len(pairs)
    for line in body.splitlines():
        outside = CODE_SPAN.sub("", line)
        assert not MARKUP.search(outside), line
        if not line.startswith("|"):  # a table row's own separators
            assert not re.search(r"(?<!\\)\|", outside), line
    assert "**Skipped:** connection settings changed \\<\\!--" in markdown
    assert not CONTROL.search(markdown.replace("\n", ""))


@settings(max_examples=scaled(100), deadline=None)
@given(st.lists(st.tuples(HOSTILE, HOSTILE), min_size=1, max_size=4))
def test_text_and_json_hold_no_control_character(pairs: list[tuple[str, str]]) -> None:
    plan = plan_with([name for name, _ in pairs], [reason for _, reason in pairs])
    text = render_text(plan).plain
    assert not CONTROL.search(text.replace("\n", ""))
    assert "r2: SKIPPED connection settings changed" in text
    document = render_json(plan)
    assert not CONTROL.search(document.replace("\n", ""))
    parsed = json.loads(document)
    assert parsed["routers"][1] == {**parsed["routers"][1], "status": "skipped",
                                    "note": "connection settings changed <!--"}  # fmt: skip
    assert [change["name"] for change in parsed["routers"][0]["changes"]] == [n for n, _ in pairs]


def test_csv_cells_that_a_spreadsheet_would_run_are_text() -> None:
    rows = [
        {"name": '=HYPERLINK("http://x")', "note": "+cmd|' /C calc'!A0", "balance": -5000},
        {"name": "@SUM(A1)", "note": "-2+3", "balance": 0},
        {"name": "Budi\x1b[2J", "note": "\tTab", "balance": 10},
    ]
    out = render_csv(rows, ["name", "note", "balance"])
    cells = list(csv.reader(io.StringIO(out)))[1:]
    assert cells[0] == ['\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", "-5000"]
    assert cells[1] == ["'@SUM(A1)", "'-2+3", "0"]
    assert cells[2][0] == "Budi\\x1b[2J" and cells[2][1] == "\\x09Tab"
    assert not CONTROL.search(out.replace("\n", ""))
