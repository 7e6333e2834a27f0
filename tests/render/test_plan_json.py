"""The isk-plan/1 document: what it holds for every router and change, its text, and a
saved plan read back exactly (older files without the newer keys included)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.plan_types import ACTIONS, Change, Plan, RouterPlan
from isk_reconcile.render.plan_json import json_text, load_plan, render_json, to_document
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer, Pppoe
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import Settings
from tests.helpers.plans import DAY, every_kind_of_router

CIPHERTEXT = "age:YWdlLWVuY3J5cHRpb24ub3JnL3YxCg=="
EVERY_COLUMN = dict.fromkeys((*ACTIONS, "unmanaged"), 0)


def _state(password: str | None = "plain-pass") -> State:
    ani = Customer(
        id="ani",
        name="Ani",
        router="core-kudus",
        start=date(2026, 1, 1),
        profile=Dated(changes=(DatedChange(from_=date(2026, 1, 1), value="home-10m"),)),
        pppoe=Pppoe(password=password),
    )
    settings = Settings.model_validate({"secrets": {"allow_plaintext": True}})
    return State(settings=settings, routers={}, profiles={}, customers={"ani": ani}, ledger=())


def _saved_plan() -> Plan:
    """Every key a saved plan can hold, with a full summary (the document writes every
    column) so that the plan read back equals it."""
    create = Change(
        "create",
        "secret",
        "siti",
        "siti",
        "new",
        {"password": (None, "(set)"), "disabled": (None, "false")},
        {"name": "siti", "profile": "home-10m"},
        CIPHERTEXT,
    )
    hidden = {"password": ("(hidden)", "(changed)")}
    update = Change(
        "update", "secret", "ani", "ani", "password differs", hidden, {"comment": ""}, "plain-pass"
    )
    return Plan(
        as_of=DAY,
        commit="0123456789abcdef",
        adopt=True,
        warnings=("rw09-bae logs in over plain API",),
        routers=(
            RouterPlan(
                "core-kudus", "unsafe", None, "f" * 64, {**EVERY_COLUMN, "create": 1, "update": 1},
                (create, update), "would disable 40%", ("profile old kept",),
            ),
            RouterPlan("radius", "ok", summary=EVERY_COLUMN, target="radius"),
            RouterPlan("rw10", "skipped", summary=EVERY_COLUMN, notes=("a", "b")),
        ),
    )  # fmt: skip


def test_a_saved_plan_reads_back_as_the_same_plan() -> None:
    assert load_plan(render_json(_saved_plan(), saved=True), _state()) == _saved_plan()


def test_the_document_holds_every_router_key_and_every_summary_column() -> None:
    document = to_document(_saved_plan())
    assert (document["adopt"], document["warnings"]) == (True, ["rw09-bae logs in over plain API"])
    core, radius, skipped = document["routers"]
    assert core["unsafe_reason"] == "would disable 40%"
    assert (core["note"], core["notes"]) == (None, ["profile old kept"])
    assert (skipped["note"], skipped["notes"]) == ("a; b", ["a", "b"])
    assert radius["target"] == "radius" and "target" not in core  # routers keep the old shape
    partial = to_document(every_kind_of_router())["routers"]
    assert partial[1]["summary"] == EVERY_COLUMN  # an error router: every column, 0
    assert partial[0]["summary"] == {**EVERY_COLUMN, "create": 1, "update": 1, "delete": 1,
                                     "conflict": 1, "unmanaged": 2}  # fmt: skip


def test_only_a_saved_plan_holds_apply_data() -> None:
    for change in to_document(_saved_plan())["routers"][0]["changes"]:
        assert "target" not in change and "password" not in change
    assert CIPHERTEXT not in render_json(_saved_plan())
    assert CIPHERTEXT in render_json(_saved_plan(), saved=True)


def test_json_text_is_indented_and_keeps_letters_as_they_are() -> None:
    assert json_text({"a": [1], "b": "Bu Sri • Kudus"}) == (
        '{\n  "a": [\n    1\n  ],\n  "b": "Bu Sri • Kudus"\n}\n'
    )


def test_an_older_plan_file_without_the_newer_keys_loads_with_their_defaults() -> None:
    document = {
        "format": "isk-plan/1",
        "as_of": "2026-11-29",
        "routers": [
            {"router": "a", "status": "ok", "changes": [{"action": "delete", "kind": "secret",
                                                          "name": "gone"}]},
        ],
    }  # fmt: skip
    gone = Change("delete", "secret", "gone", None, "", {}, {})
    assert load_plan(json.dumps(document), _state()) == Plan(
        as_of=DAY, commit=None, routers=(RouterPlan("a", "ok", summary={}, changes=(gone,)),)
    )


@pytest.mark.parametrize("action", ["delete", "disconnect", "conflict"])
def test_changes_that_write_nothing_need_no_apply_data(action: str) -> None:
    plan = Plan(
        as_of=DAY,
        commit=None,
        routers=(RouterPlan("a", "ok", changes=(Change(action, "secret", "x", "x", "why"),)),),
    )
    loaded = load_plan(render_json(plan), _state())  # not saved: no target anywhere
    assert loaded.routers[0].changes[0].action == action


def test_a_change_that_writes_needs_apply_data() -> None:
    plan = Plan(
        as_of=DAY,
        commit=None,
        routers=(RouterPlan("a", "ok", changes=(Change("enable", "secret", "x", "x", "paid"),)),),
    )
    with pytest.raises(IskError) as refused:
        load_plan(render_json(plan), _state())
    assert str(refused.value) == "plan has no apply data: save it with `isk plan --out FILE`"


@pytest.mark.parametrize(("customer", "password"), [("ghost", "plain-pass"), ("ani", None)])
def test_a_password_reference_to_no_password_is_refused(
    customer: str, password: str | None
) -> None:
    update = Change("update", "secret", customer, customer, "x", {}, {"comment": ""}, "plain")
    plan = Plan(as_of=DAY, commit=None, routers=(RouterPlan("a", "ok", changes=(update,)),))
    with pytest.raises(IskError) as refused:
        load_plan(render_json(plan, saved=True), _state(password))
    assert str(refused.value) == f"plan file: no password for customer {customer}"


def test_a_malformed_plan_file_names_what_is_missing() -> None:
    text = json.dumps({"format": "isk-plan/1", "routers": []})
    with pytest.raises(IskError) as refused:
        load_plan(text, _state())
    assert str(refused.value) == "plan file is malformed: KeyError 'as_of'"


def test_an_adopt_flag_that_is_not_true_is_false() -> None:
    document = to_document(replace(_saved_plan(), routers=()))
    document["adopt"] = "yes"
    assert load_plan(json.dumps(document), _state()).adopt is False
