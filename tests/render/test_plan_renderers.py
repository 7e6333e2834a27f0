"""Plan renderers: isk-plan/1 JSON (and saved plan files), text, markdown."""

from __future__ import annotations

import json
from datetime import date

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan
from isk_reconcile.render.plan_json import load_plan, render_json, to_document
from isk_reconcile.render.plan_markdown import MARKER, render_markdown
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer, Pppoe
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import Settings

SUMMARY = {
    "create": 1,
    "update": 1,
    "delete": 0,
    "enable": 0,
    "disable": 1,
    "disconnect": 1,
    "conflict": 0,
    "unmanaged": 3,
}
PLAINTEXT = "hunter2-plaintext"
UNPAID = "unpaid invoice budi/2026-11-15 (Rp150.000) due 2026-11-15, grace ended 2026-11-18"
CIPHERTEXT = "age:YWdlLWVuY3J5cHRpb24ub3JnL3YxCg=="


def sample_plan() -> Plan:
    changes = (
        Change(
            "create",
            "secret",
            "siti",
            "siti",
            "paid through 2026-12-14 (P-1)",
            {"password": (None, "(set)"), "profile": (None, "home-10m")},
            {"name": "siti", "profile": "home-10m"},
            CIPHERTEXT,
        ),
        Change(
            "update",
            "secret",
            "ani",
            "ani",
            "password differs from the repository",
            {"password": ("(hidden)", "(changed)")},
            {},
            PLAINTEXT,
        ),
        Change(
            "disable",
            "secret",
            "budi",
            "budi",
            "unpaid invoice budi/2026-11-15 (Rp150.000) due 2026-11-15, grace ended 2026-11-18",
            {"disabled": ("false", "true")},
            {"disabled": "true"},
        ),
        Change("disconnect", "session", "budi", "budi", "access suspended"),
    )
    return Plan(
        as_of=date(2026, 11, 29),
        commit="abc123def4567890",
        routers=(
            RouterPlan("core-kudus", "ok", None, "f" * 64, SUMMARY, changes),
            RouterPlan("rw09-bae", "error", "rw09-bae: cannot connect: connection refused"),
        ),
    )


def state_with_ani() -> State:
    ani = Customer(
        id="ani",
        name="Ani",
        router="core-kudus",
        start=date(2026, 1, 1),
        profile=Dated(changes=(DatedChange(from_=date(2026, 1, 1), value="home-10m"),)),
        pppoe=Pppoe(password=PLAINTEXT),
    )
    return State(settings=Settings(), routers={}, profiles={}, customers={"ani": ani}, ledger=())


def test_json_has_the_spec_shape() -> None:
    document = json.loads(render_json(sample_plan()))
    assert document["format"] == "isk-plan/1"
    assert document["as_of"] == "2026-11-29"
    assert document["commit"] == "abc123def4567890"
    core, bae = document["routers"]
    assert set(core) >= {"router", "status", "error", "fingerprint", "summary", "changes"}
    assert core["summary"] == SUMMARY
    disable = core["changes"][2]
    assert disable == {
        "action": "disable",
        "kind": "secret",
        "name": "budi",
        "customer": "budi",
        "reason": UNPAID,
        "fields": {"disabled": {"from": False, "to": True}},
    }
    assert bae["status"] == "error" and bae["error"].endswith("connection refused")
    assert "target" not in disable  # apply data only in saved plans


def test_no_plaintext_password_in_any_rendering() -> None:
    plan = sample_plan()
    outputs = [
        render_json(plan),
        render_json(plan, saved=True),
        render_markdown(plan),
        render_text(plan).plain,
        repr(plan),
    ]
    for output in outputs:
        assert PLAINTEXT not in output
    assert "password: (changed)" in render_text(plan).plain


def test_saved_plan_round_trips_and_rederives_passwords() -> None:
    plan = sample_plan()
    saved = render_json(plan, saved=True)
    document = json.loads(saved)
    create, update = document["routers"][0]["changes"][:2]
    assert create["password"] == {"age": CIPHERTEXT}
    assert update["password"] == {"customer": "ani"}  # plaintext repo: a reference, never the value
    loaded = load_plan(saved, state_with_ani())
    assert loaded.as_of == plan.as_of and loaded.commit == plan.commit
    assert loaded.routers[0].changes == plan.routers[0].changes
    assert loaded.routers[0].fingerprint == "f" * 64
    assert to_document(loaded) == to_document(plan)


def test_plan_file_errors_are_readable() -> None:
    with pytest.raises(IskError, match="not JSON"):
        load_plan("{", state_with_ani())
    with pytest.raises(IskError, match="not an isk-plan/1 document"):
        load_plan('{"format": "other"}', state_with_ani())
    unsaved = render_json(sample_plan())
    with pytest.raises(IskError, match="isk plan --out"):
        load_plan(unsaved, state_with_ani())


def test_text_groups_by_router_with_summary_lines() -> None:
    text = render_text(sample_plan()).plain
    assert (
        "core-kudus: 1 create, 1 update, 0 delete, 0 enable, 1 disable, 1 disconnect, "
        "0 conflict, 3 unmanaged" in text
    )
    assert "v disable secret budi" in text
    assert "disabled: false -> true" in text
    assert "rw09-bae: ERROR cannot connect: connection refused" in text
    assert "4 change(s) on 1 router(s); 1 router(s) could not be read." in text
    assert text.index("core-kudus") < text.index("rw09-bae")


def test_unsafe_router_shows_its_reason() -> None:
    unsafe = RouterPlan(
        "r1",
        "unsafe",
        None,
        "0",
        SUMMARY,
        sample_plan().routers[0].changes,
        "would disable 4 of 10 managed secrets (40% > 30%)",
    )
    plan = Plan(date(2026, 11, 29), None, (unsafe,))
    assert "UNSAFE: would disable 4 of 10" in render_text(plan).plain
    assert "**Unsafe:** would disable 4 of 10" in render_markdown(plan)
    assert json.loads(render_json(plan))["routers"][0]["unsafe_reason"].startswith("would")


def test_markdown_marker_table_and_reasons() -> None:
    markdown = render_markdown(sample_plan())
    assert markdown.startswith(MARKER + "\n")
    assert "| core-kudus | ok | 1 | 1 | 0 | 0 | 1 | 1 | 0 | 3 |" in markdown
    assert "- **disable** secret `budi`: unpaid invoice budi/2026-11-15" in markdown
    assert "**Error:** rw09-bae: cannot connect" in markdown


def test_markdown_is_cut_under_the_limit_with_a_note() -> None:
    many = tuple(
        Change("create", "secret", f"customer-{i:05d}", f"customer-{i:05d}", "paid " * 20)
        for i in range(3000)
    )
    plan = Plan(date(2026, 11, 29), None, (RouterPlan("r1", "ok", None, "0", SUMMARY, many),))
    markdown = render_markdown(plan)
    assert len(markdown) < 60_000
    shown = markdown.count("- **create**")
    assert 0 < shown < 3000
    assert f"{3000 - shown} more change(s) not shown" in markdown
    small = render_markdown(sample_plan())
    assert "not shown" not in small


def isolation_plan() -> Plan:
    """A router in isolate mode: one customer isolated, one restored, one in conflict."""
    reason = "unpaid invoice joko/2026-10-12 (Rp200.000) due 2026-10-12, grace ended 2026-10-15"
    changes = (
        Change(
            "disable",
            "secret",
            "joko",
            "joko",
            reason,
            {"profile": ("home-20m", "isolir"), "remote-address": ("10.20.5.20", None)},
            {"profile": "isolir", "remote-address": ""},
        ),
        Change(
            "enable",
            "secret",
            "sari",
            "sari",
            "paid through 2026-12-14 (P-7)",
            {"profile": ("isolir", "home-10m")},
            {"profile": "home-10m"},
        ),
        Change("disconnect", "session", "joko", "joko", f"access suspended: {reason}"),
        Change("conflict", "secret", "tono", "tono", "an unmanaged secret named tono ..."),
    )
    summary = {**SUMMARY, "create": 0, "update": 0, "enable": 1, "conflict": 1}
    return Plan(date(2026, 11, 29), None, (RouterPlan("rw05", "ok", None, "0", summary, changes),))


def test_isolation_is_named_in_the_line_and_the_summary_keeps_six_verbs() -> None:
    text = render_text(isolation_plan()).plain
    assert "v disable (isolate) secret joko" in text
    assert "^ enable (from isolation) secret sari" in text
    assert "rw05: 0 create, 0 update, 0 delete, 1 enable, 1 disable, 1 disconnect" in text
    markdown = render_markdown(isolation_plan())
    assert "- **disable (isolate)** secret `joko`" in markdown
    # JSON keeps the plain verb: it is a stable format.
    actions = [
        c["action"] for c in json.loads(render_json(isolation_plan()))["routers"][0]["changes"]
    ]
    assert actions[:2] == ["disable", "enable"]
    # A plain disable is just "disable".
    assert "v disable secret budi" in render_text(sample_plan()).plain


def test_disconnect_after_a_suspension_does_not_repeat_the_invoice() -> None:
    text = render_text(isolation_plan()).plain
    assert "why: access suspended (reason above)" in text
    assert text.count("grace ended 2026-10-15") == 1
    # JSON and markdown keep the whole reason on every change.
    document = json.loads(render_json(isolation_plan()))
    assert document["routers"][0]["changes"][2]["reason"].endswith("grace ended 2026-10-15")


def test_conflicts_and_unread_routers_are_never_called_no_changes() -> None:
    only_conflict = Plan(
        date(2026, 11, 29),
        None,
        (RouterPlan("r1", "ok", None, "0", SUMMARY, (isolation_plan().routers[0].changes[3],)),),
    )
    text = render_text(only_conflict).plain
    assert "match the repository" not in text
    assert "No changes to apply; 1 conflict(s) not applied" in text
    assert "match the repository" not in render_markdown(only_conflict)
    assert "**1 conflict(s)** not applied" in render_markdown(only_conflict)
    unread = Plan(date(2026, 11, 29), None, (sample_plan().routers[1],))
    assert "match the repository" not in render_text(unread).plain
    assert "1 router(s) could not be read" in render_text(unread).plain
    assert "match the repository" not in render_markdown(unread)
    assert "**1 router(s) could not be read**" in render_markdown(unread)
