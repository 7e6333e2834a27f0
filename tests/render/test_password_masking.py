"""No plan renderer shows a password, for any verb (SPEC §5, §7).

The plan is made by the real planner from a live router whose secrets hold plaintext
passwords (an API user with the `sensitive` policy reads them) and a repository with
other plaintext passwords; every verb occurs, including the deletion of a live secret
and a conflict with an unmanaged one. Text, JSON, Markdown, the saved plan file and the
plan's repr must hold none of those passwords.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.render.plan_json import load_plan, render_json
from isk_reconcile.render.plan_markdown import render_markdown
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.routeros.types import LiveItem
from tests.helpers.isp import applied, customer, desired, load, plan_for, with_items, write_repo

REPO_PASSWORDS = {
    "create": "RepoPw-create-1111",
    "update": "RepoPw-update-2222",
    "disable": "RepoPw-disable-3333",
    "enable": "RepoPw-enable-4444",
    "conflict": "RepoPw-conflict-5555",
    "adopt": "RepoPw-adopt-6666",
}
LIVE_PASSWORDS = {
    "update": "LivePw-update-aaaa",
    "disable": "LivePw-disable-bbbb",
    "enable": "LivePw-enable-cccc",
    "conflict": "LivePw-conflict-dddd",
    "adopt": "LivePw-adopt-eeee",
    "gone": "LivePw-delete-ffff",
}
ALL_PASSWORDS = (*REPO_PASSWORDS.values(), *LIVE_PASSWORDS.values())


def every_verb(tmp_path: Path, *, adopt: bool = False) -> tuple[Plan, Path]:
    before = {name: customer(name.title(), password="placeholder") for name in REPO_PASSWORDS}
    before.pop("create")
    before["enable"]["status"] = "suspended"
    before["enable"]["suspend_reason"] = "moved house"
    root = write_repo(tmp_path, before)
    overrides = {name: {"password": password} for name, password in LIVE_PASSWORDS.items()}
    overrides["conflict"]["comment"] = "by hand"  # made in Winbox: unmanaged
    overrides["adopt"]["comment"] = ""
    live = applied(desired(root), **overrides)
    gone = LiveItem(
        "*77",
        {
            "name": "gone",
            "password": LIVE_PASSWORDS["gone"],
            "profile": "home-10m",
            "comment": "isk:gone Gone",
        },
    )
    live = with_items(live, secrets=(gone,), active=("gone", "update", "disable"))
    after = {name: customer(name.title(), password=pw) for name, pw in REPO_PASSWORDS.items()}
    after["disable"]["status"] = "suspended"
    after["disable"]["suspend_reason"] = "asked to pause"
    after["adopt"]["adopt"] = True
    write_repo(tmp_path, after)
    return plan_for(tmp_path, live, adopt=adopt), tmp_path


def renderings(plan: Plan, root: Path) -> dict[str, str]:
    saved = render_json(plan, saved=True)
    return {
        "text": render_text(plan).plain,
        "json": render_json(plan),
        "markdown": render_markdown(plan),
        "saved plan": saved,
        "saved plan reloaded": render_json(load_plan(saved, load(root)), saved=True),
        "repr": repr(plan),
    }


@pytest.mark.parametrize("adopt", [False, True], ids=["plain", "--adopt"])
def test_no_renderer_shows_a_password_for_any_verb(tmp_path: Path, adopt: bool) -> None:
    plan, root = every_verb(tmp_path, adopt=adopt)
    verbs = {(change.action, change.kind) for change in plan.routers[0].changes}
    expected = {
        ("create", "secret"),
        ("update", "secret"),
        ("disable", "secret"),
        ("enable", "secret"),
        ("delete", "secret"),
        ("disconnect", "session"),
        ("conflict" if not adopt else "update", "secret"),
    }
    assert expected <= verbs
    for label, output in renderings(plan, root).items():
        leaked = [password for password in ALL_PASSWORDS if password in output]
        assert leaked == [], f"{label} shows {leaked}"


def test_the_delete_of_a_live_secret_shows_what_goes_but_not_its_password(tmp_path: Path) -> None:
    plan, _ = every_verb(tmp_path)
    (delete,) = [c for c in plan.routers[0].changes if c.action == "delete"]
    assert delete.name == "gone"
    assert "password" not in delete.fields
    document = json.loads(render_json(plan))
    (shown,) = [c for c in document["routers"][0]["changes"] if c["action"] == "delete"]
    assert shown["fields"]["profile"] == {"from": "home-10m", "to": None}
    assert "password" not in shown["fields"]


def test_password_changes_are_shown_as_changed_without_values(tmp_path: Path) -> None:
    plan, _ = every_verb(tmp_path)
    changes = {(c.action, c.name): c for c in plan.routers[0].changes}
    assert changes[("update", "update")].fields["password"] == ("(hidden)", "(changed)")
    assert changes[("create", "create")].fields["password"] == (None, "(set)")
    assert changes[("conflict", "conflict")].fields["password"] == ("(hidden)", "(changed)")
    text = render_text(plan).plain
    assert "password: (changed)" in text and "password: (set)" in text
