"""Plan details the reconciler relies on: the disconnect-pending mark, conflicts naming
their customer, looking routers up in a plan, and the in-memory plan basis."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.reconcile.comments import (
    PENDING_MARK,
    pending_mark,
    pending_of_comment,
    without_pending,
)
from isk_reconcile.reconcile.disconnects import PENDING_REASON
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.routeros.types import LiveItem
from tests.helpers.isp import (
    actions,
    applied,
    customer,
    desired,
    load,
    only,
    plan_for,
    with_items,
    write_repo,
)

ISOLATE = {"suspend": {"mode": "isolate", "isolate_profile": "isolir"}}


def test_the_mark_names_the_session_fields_that_changed_in_order() -> None:
    assert pending_mark() == PENDING_MARK == " [disconnect pending]"
    assert pending_mark({"comment", "disabled"}) == PENDING_MARK  # no session field
    marked = pending_mark({"remote-address", "comment", "password", "profile"})
    assert marked == " [disconnect pending: password,profile,remote-address]"
    assert pending_of_comment("isk:a A" + marked) == {"password", "profile", "remote-address"}
    assert pending_of_comment("isk:a A" + PENDING_MARK) == frozenset()
    assert pending_of_comment("isk:a A") is None


def test_without_pending_restores_the_comment_exactly() -> None:
    assert without_pending("isk:a Ani [disconnect pending: profile]") == "isk:a Ani"
    assert without_pending("isk:a Ani" + PENDING_MARK) == "isk:a Ani"
    assert without_pending("isk:a Ani") == "isk:a Ani"
    # Only a mark at the very end is one.
    assert without_pending("isk:a [disconnect pending] Ani") == "isk:a [disconnect pending] Ani"


def test_a_bare_mark_on_an_account_enabled_again_is_only_cleared(tmp_path: Path) -> None:
    """The interrupted apply suspended the account; it is paid since: the session runs
    with the access it was set up with, so it may go on."""
    root = write_repo(tmp_path, {"a": customer("A")})
    live = with_items(
        applied(desired(root), a={"comment": "isk:a A" + PENDING_MARK}), active=("a",)
    )
    plan = plan_for(root, live)
    assert actions(plan) == [("update", "secret", "a")]
    assert only(plan, "update", "a").target == {"comment": "isk:a A"}
    assert only(plan, "update", "a").reason.startswith("clears the disconnect mark")


def test_a_bare_mark_on_an_isolated_account_still_cuts_its_session(tmp_path: Path) -> None:
    """The interrupted apply isolated the account and dropped before the cut: nothing on
    the router but the mark says the session still runs on the old profile."""
    root = write_repo(tmp_path, {"late": customer("Late", status="suspended")}, settings=ISOLATE)
    wanted = desired(root).secrets["late"].attrs["comment"]
    live = with_items(
        applied(desired(root), late={"comment": wanted + PENDING_MARK}), active=("late",)
    )
    plan = plan_for(root, live)
    assert actions(plan) == [("update", "secret", "late"), ("disconnect", "session", "late")]
    assert only(plan, "disconnect", "late").reason == PENDING_REASON


def test_a_conflict_names_the_customer_whose_account_collides(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"budi": customer("Budi", pppoe={"username": "b01"})})
    live = applied(desired(root), b01={"comment": "made in winbox", "profile": "home-20m"})
    conflict = only(plan_for(root, live), "conflict", "b01")
    assert conflict.customer == "budi"
    assert conflict.fields["profile"] == ("home-20m", "home-10m")


def test_a_plan_finds_its_routers_by_name(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    plan = plan_for(root, applied(desired(root)))
    assert plan.router("r1") is plan.routers[0]
    with pytest.raises(KeyError, match="nope"):
        plan.router("nope")


def test_the_basis_is_reused_only_for_the_very_state_it_was_made_from(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A", password="basis-secret-pw")})
    state = load(root)
    as_of = date(2026, 11, 29)
    plan = make_plan(
        state,
        as_of,
        standings(state, as_of),
        {"r1": applied(desired(root))},
        passwords={"a": "basis-secret-pw"},
    )
    assert plan.basis is not None
    assert plan.basis_for(state) is plan.basis
    assert plan.basis_for(load(root)) is None  # equal, but not the same object
    assert dataclasses.replace(plan, basis=None).basis_for(state) is None
    assert repr(plan.basis) == "PlanBasis(...)"
    assert "basis-secret-pw" not in repr(plan)


def test_changes_follow_the_spec_order_whatever_their_names(tmp_path: Path) -> None:
    """SPEC §5: profiles created/updated → secrets created/updated/enabled/disabled →
    sessions disconnected → secrets deleted → profiles deleted; conflicts (never applied)
    last. Names are chosen to sort against that order."""
    root = write_repo(
        tmp_path,
        {
            "zz-new": customer("New"),
            "zz-late": customer("Late"),
            "b-clash": customer("Clash"),
        },
    )
    old_profile = LiveItem("*60", {"name": "z-old", "comment": "isk:profile Lama"})
    gone = LiveItem("*61", {"name": "a-gone", "profile": "home-10m", "comment": "isk:a-gone G"})
    before = applied(desired(root), **{"b-clash": {"comment": "by hand", "profile": "home-20m"}})
    live = with_items(
        dataclasses.replace(before, secrets=tuple(s for s in before.secrets if s.name != "zz-new")),
        profiles=(old_profile,),
        secrets=(gone,),
        active=("zz-late",),
    )
    write_repo(
        tmp_path,
        {
            "zz-new": customer("New"),
            "zz-late": customer("Late", status="suspended"),
            "b-clash": customer("Clash"),
        },
    )
    assert actions(plan_for(root, live)) == [
        ("disable", "secret", "zz-late"),  # within a group: by name
        ("create", "secret", "zz-new"),
        ("disconnect", "session", "zz-late"),
        ("delete", "secret", "a-gone"),
        ("delete", "profile", "z-old"),
        ("conflict", "secret", "b-clash"),
    ]


def test_why_a_session_is_cut(tmp_path: Path) -> None:
    customers = {
        "up": customer("Up"),
        "both": customer("Both", password="old-pw"),
        "back": customer("Back"),
    }
    root = write_repo(tmp_path, customers)
    live = with_items(
        applied(desired(root), back={"disabled": "true"}), active=("up", "both", "back")
    )
    write_repo(
        tmp_path,
        {
            "up": customer("Up", profile="home-20m"),
            "both": customer("Both", profile="home-20m", password="new-pw"),
            "back": customer("Back"),
        },
    )
    plan = plan_for(root, live)
    assert only(plan, "disconnect", "up").reason == "profile changed: the session must reconnect"
    assert only(plan, "disconnect", "both").reason == (
        "password, profile changed: the session must reconnect"
    )
    # Enabled again while a session is somehow up: enabling cuts nothing.
    assert only(plan, "enable", "back").fields == {"disabled": ("true", "false")}
    assert ("disconnect", "session", "back") not in actions(plan)


def test_what_a_create_an_update_and_a_delete_carry(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A", password="pw-a-old")})
    profile_gone = LiveItem(
        "*60", {"name": "old-5m", "rate-limit": "5M/5M", "comment": "isk:profile Lama"}
    )
    gone = LiveItem(
        "*61", {"name": "gone", "profile": "home-10m", "comment": "isk:gone G", "password": "x"}
    )
    live = with_items(applied(desired(root)), profiles=(profile_gone,), secrets=(gone,))
    write_repo(tmp_path, {"a": customer("A", password="pw-a-new"), "n": customer("N")})
    plan = plan_for(root, live)
    created = only(plan, "create", "n")
    assert "name" not in created.fields and created.target["name"] == "n"
    assert set(created.fields) == set(created.target) - {"name"} | {"password"}
    updated = only(plan, "update", "a")
    assert updated.fields == {"password": ("(hidden)", "(changed)")}
    assert updated.target == {}  # the password goes through password_source only
    assert updated.password_source == "pw-a-new"
    assert only(plan, "delete", "gone").fields == {
        "profile": ("home-10m", None),
        "comment": ("isk:gone G", None),
    }
    assert only(plan, "delete", "old-5m").fields == {
        "comment": ("isk:profile Lama", None),
        "rate-limit": ("5M/5M", None),
    }


def test_empty_and_default_spellings_of_an_unset_field_are_no_change(tmp_path: Path) -> None:
    """A field the YAML leaves empty matches a router that prints nothing, "" or, for the
    yes/no/default profile fields, "default"."""
    root = write_repo(tmp_path, {"a": customer("A", profile="home-20m")})
    live = applied(
        desired(root),
        a={"caller-id": "", "remote-address": ""},
        **{"home-20m": {"only-one": "default", "change-tcp-mss": "default", "dns-server": ""}},
    )
    assert actions(plan_for(root, live)) == []
    # The control: a set value is a change.
    live = applied(desired(root), **{"home-20m": {"only-one": "yes"}})
    assert only(plan_for(root, live), "update", "home-20m").fields == {"only-one": ("yes", None)}
