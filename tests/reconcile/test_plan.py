"""The pure plan (SPEC §5) against hand-built live states."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.errors import RouterError
from isk_reconcile.reconcile.comments import PENDING_MARK, pending_mark
from isk_reconcile.reconcile.plan_types import Change
from isk_reconcile.reconcile.safety import safety_verdict
from isk_reconcile.routeros.types import LiveItem, LiveState
from isk_reconcile.state.settings import SafetySettings
from tests.helpers.isp import (
    BUILTINS,
    HAND_MADE_POOLS,
    actions,
    applied,
    customer,
    desired,
    desired_for,
    only,
    plan_for,
    with_items,
    write_repo,
)


def empty_router() -> LiveState:
    return LiveState("r1", BUILTINS, (), (), HAND_MADE_POOLS)


# --- tests ------------------------------------------------------------------------------


def test_empty_router_gets_profiles_then_secrets(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A"), "b": customer("B", profile="home-20m")})
    plan = plan_for(root, empty_router())
    assert actions(plan) == [
        ("create", "profile", "home-10m"),
        ("create", "profile", "home-20m"),
        ("create", "profile", "isolir"),
        ("create", "secret", "a"),
        ("create", "secret", "b"),
    ]
    router = plan.routers[0]
    assert router.status == "ok"
    assert router.summary["create"] == 5
    created = only(plan, "create", "a")
    assert created.fields["password"] == (None, "(set)")
    assert "password" not in created.target
    assert created.password_source == "s3cret-pw"
    assert created.target["profile"] == "home-10m"
    assert "remote-address" not in created.target  # empty fields are not sent on add


def test_router_holding_the_desired_state_has_an_empty_plan(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {
            "a": customer("Zoë 李", password="123456", pppoe={"username": "2024"}),
            "s": customer("S", status="suspended"),
        },
    )
    plan = plan_for(root, applied(desired(root)))
    assert actions(plan) == []
    assert not plan.has_changes
    assert plan.routers[0].fingerprint


def test_field_level_update_with_package_reason(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    live = applied(desired(root), **{"home-10m": {"rate-limit": "5M/5M", "parent-queue": "q1"}})
    change = only(plan_for(root, live), "update", "home-10m")
    assert change.kind == "profile"
    assert change.reason == "package home-10m changed"
    assert change.fields == {"parent-queue": ("q1", None), "rate-limit": ("5M/5M", "10M/10M")}
    assert change.target == {"parent-queue": "", "rate-limit": "10M/10M"}  # "" = unset


def test_changed_password_is_never_shown_and_reconnects(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    live = with_items(applied(desired(root), a={"password": "old-pw"}), active=("a",))
    plan = plan_for(root, live)
    change = only(plan, "update", "a")
    assert change.fields == {"password": ("(hidden)", "(changed)")}
    assert "s3cret-pw" not in repr(plan) and "old-pw" not in repr(plan)
    assert only(plan, "disconnect", "a").reason.startswith("password changed")


def test_router_that_hides_passwords_is_not_updated_forever(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    assert actions(plan_for(root, applied(desired(root), a={"password": None}))) == []


def test_disable_disconnects_only_live_sessions(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {"s": customer("S", status="suspended"), "t": customer("T", status="suspended")},
    )
    live = with_items(
        applied(desired(root), s={"disabled": "false"}, t={"disabled": "false"}), active=("s",)
    )
    plan = plan_for(root, live)
    assert actions(plan) == [
        ("disable", "secret", "s"),
        ("disable", "secret", "t"),
        ("disconnect", "session", "s"),
    ]
    assert only(plan, "disable", "s").fields == {"disabled": ("false", "true")}
    assert only(plan, "disconnect", "s").customer == "s"


def test_no_disconnect_when_settings_say_so(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {"s": customer("S", status="suspended")},
        settings={"suspend": {"disconnect": False}},
    )
    live = with_items(applied(desired(root), s={"disabled": "false"}), active=("s",))
    assert actions(plan_for(root, live)) == [("disable", "secret", "s")]


def test_disabled_account_still_online_is_cut_off(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"s": customer("S", status="suspended")})
    live = with_items(applied(desired(root)), active=("s",))
    assert actions(plan_for(root, live)) == [("disconnect", "session", "s")]


def test_enabled_account_with_session_and_no_change_is_left_alone(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    live = with_items(applied(desired(root)), active=("a",))
    assert actions(plan_for(root, live)) == []


def test_isolate_and_restore(tmp_path: Path) -> None:
    isolate = {"suspend": {"mode": "isolate", "isolate_profile": "isolir"}}
    static = {"remote_address": "10.20.0.9"}
    root = write_repo(
        tmp_path,
        {
            "late": customer("Late", status="suspended", pppoe=static),
            "back": customer("Back", pppoe=static),
        },
        settings=isolate,
    )
    live = with_items(
        applied(
            desired(root),
            late={"profile": "home-10m", "remote-address": "10.20.0.9"},
            back={"profile": "isolir", "remote-address": None},
        ),
        active=("late", "back"),
    )
    plan = plan_for(root, live)
    isolated = only(plan, "disable", "late")
    assert isolated.fields == {
        "profile": ("home-10m", "isolir"),
        "remote-address": ("10.20.0.9", None),
    }
    # The comment rides along: apply marks it until the session is cut (PENDING_MARK).
    assert isolated.target == {
        "profile": "isolir",
        "remote-address": "",
        "comment": "isk:late Late",
    }
    restored = only(plan, "enable", "back")
    assert restored.fields["profile"] == ("isolir", "home-10m")
    assert only(plan, "disconnect", "late").reason.startswith("access suspended")
    assert only(plan, "disconnect", "back").reason.startswith("restored from isolation")


def test_disconnect_left_pending_by_an_interrupted_apply(tmp_path: Path) -> None:
    # The interrupted apply moved a's profile (the mark names it), so a's session still
    # runs on the old package and must be cut. (A bare mark on an enabled account is an
    # access change since undone: see test_pending_mark_of_a_suspension_is_cleared_once_paid.)
    root = write_repo(tmp_path, {"a": customer("A"), "b": customer("B")})
    marked = {"comment": "isk:a A" + pending_mark({"profile"})}
    live = with_items(
        applied(desired(root), a=marked, b={"comment": "isk:b B" + PENDING_MARK}), active=("a",)
    )
    plan = plan_for(root, live)
    assert actions(plan) == [
        ("update", "secret", "a"),
        ("update", "secret", "b"),
        ("disconnect", "session", "a"),
    ]
    assert only(plan, "update", "b").target == {"comment": "isk:b B"}
    assert only(plan, "disconnect", "a").reason == "disconnect left pending by an interrupted apply"


def test_terminated_customer_is_deleted_after_disconnect(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    gone = LiveItem("*99", {"name": "old", "profile": "home-10m", "comment": "isk:old Old"})
    write_repo(
        tmp_path,
        {"a": customer("A"), "old": customer("Old", status="terminated", end="2026-10-31")},
    )
    live = with_items(applied(desired(root)), secrets=(gone,), active=("old",))
    plan = plan_for(root, live)
    assert actions(plan) == [("disconnect", "session", "old"), ("delete", "secret", "old")]
    assert only(plan, "delete", "old").customer == "old"
    assert only(plan, "delete", "old").reason == "terminated on 2026-10-31"


def test_unmanaged_entries_are_counted_and_untouched(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    live = with_items(
        applied(desired(root)),
        profiles=(LiveItem("*50", {"name": "hotspot", "rate-limit": "1M/1M"}),),
        secrets=(LiveItem("*51", {"name": "tech", "profile": "hotspot", "comment": "by hand"}),),
        active=("tech",),
    )
    plan = plan_for(root, live)
    assert actions(plan) == []
    assert plan.routers[0].summary["unmanaged"] == 3  # and the hand-made pool-home


def test_collision_with_unmanaged_secret_is_a_conflict_unless_adopted(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    d = desired(root)
    live = applied(d, a={"comment": "made in winbox", "profile": "home-20m"})
    plan = plan_for(root, live)
    assert actions(plan) == [("conflict", "secret", "a")]
    assert plan.routers[0].summary["conflict"] == 1
    assert not plan.has_changes  # conflicts are shown, never applied
    adopted = plan_for(root, live, adopt=True)
    change = only(adopted, "update", "a")
    assert change.target == {"comment": "isk:a A", "profile": "home-10m"}
    assert change.reason.startswith("adopted")


def test_customer_marked_for_adoption_is_adopted_without_the_flag(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A", adopt=True)})
    live = applied(desired(root), a={"comment": ""})
    assert actions(plan_for(root, live)) == [("update", "secret", "a")]


def test_builtins_untouched_and_profiles_in_use_kept(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    old = LiveItem("*60", {"name": "old-5m", "comment": "isk:profile Lama"})
    unused = LiveItem("*61", {"name": "old-1m", "comment": "isk:profile Lama"})
    user = LiveItem("*62", {"name": "tech", "profile": "old-5m", "comment": "by hand"})
    live = with_items(applied(desired(root)), profiles=(old, unused), secrets=(user,))
    plan = plan_for(root, live)
    assert actions(plan) == [("delete", "profile", "old-1m")]
    assert plan.routers[0].notes == (
        "profile old-5m kept: no longer in the repository but still used by tech",
    )


def test_profile_deleted_only_after_its_last_secret(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    old = LiveItem("*60", {"name": "old-5m", "comment": "isk:profile Lama"})
    leaving = LiveItem("*62", {"name": "x", "profile": "old-5m", "comment": "isk:x X"})
    live = with_items(applied(desired(root)), profiles=(old,), secrets=(leaving,))
    assert actions(plan_for(root, live)) == [
        ("delete", "secret", "x"),
        ("delete", "profile", "old-5m"),
    ]


def test_unreachable_router_is_an_error_entry(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    plan = plan_for(root, RouterError("r1", "cannot connect"))
    assert plan.routers[0].status == "error"
    assert plan.routers[0].error == "r1: cannot connect"
    assert plan.has_errors


def test_losing_every_managed_secret_is_unsafe(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {})
    secret = LiveItem("*70", {"name": "x", "profile": "home-10m", "comment": "isk:x X"})
    plan = plan_for(root, with_items(applied(desired(root)), secrets=(secret,)))
    assert plan.routers[0].status == "unsafe"
    assert plan.routers[0].unsafe_reason == "would delete every managed secret (1)"


def _changes(action: str, count: int) -> list[Change]:
    return [Change(action, "secret", f"s{i}", f"s{i}", "r") for i in range(count)]  # type: ignore[arg-type]


def test_safety_limits() -> None:
    limits = SafetySettings(max_disable_percent=30, max_delete_percent=10, min_managed=10)
    assert safety_verdict(_changes("disable", 3), 10, limits) is None
    assert safety_verdict(_changes("disable", 4), 10, limits) == (
        "would disable 4 of 10 managed secrets (40% > 30%)"
    )
    assert safety_verdict(_changes("delete", 1), 10, limits) is None
    assert "would delete 2 of 10" in (safety_verdict(_changes("delete", 2), 10, limits) or "")
    # below min_managed only the any-size floor (default 50%) applies
    assert safety_verdict(_changes("disable", 4), 9, limits) is None  # 44%
    assert safety_verdict(_changes("disable", 5), 9, limits) == (
        "would disable 5 of 9 managed secrets (55% > 50%)"
    )
    assert safety_verdict(_changes("delete", 8), 9, limits) is None  # below min_managed
    assert (
        safety_verdict(_changes("delete", 9), 9, limits) == "would delete every managed secret (9)"
    )
    assert safety_verdict([], 0, limits) is None


def test_small_router_floor_is_configurable() -> None:
    # A new ISP's first site: 2 of 3 accounts disabled by one bad edit is refused at any size.
    floor = SafetySettings(min_managed=10)
    assert safety_verdict(_changes("disable", 2), 3, floor) == (
        "would disable 2 of 3 managed secrets (66% > 50%)"
    )
    assert safety_verdict(_changes("disable", 1), 2, floor) is None  # exactly half is allowed
    assert safety_verdict(_changes("disable", 1), 1, floor) is not None
    relaxed = SafetySettings(min_managed=10, max_disable_percent_any_size=100)
    assert safety_verdict(_changes("disable", 3), 3, relaxed) is None


def test_router_safety_override_applies(tmp_path: Path) -> None:
    customers = {f"c{i}": customer(f"C{i}", status="suspended") for i in range(4)}
    routers = {"r1": {"host": "127.0.0.1", "safety": {"min_managed": 2, "max_disable_percent": 50}}}
    root = write_repo(tmp_path, customers, routers=routers)
    live = applied(desired(root), **{f"c{i}": {"disabled": "false"} for i in range(4)})
    plan = plan_for(root, live)
    assert plan.routers[0].status == "unsafe"
    assert "would disable 4 of 4" in (plan.routers[0].unsafe_reason or "")


def test_protected_customer_past_its_end_is_kept_with_a_note(tmp_path: Path) -> None:
    """protect: true means never deleted by the reconciler, even once terminated."""
    staff = customer("Staff", status="terminated", end="2026-10-31", protect=True)
    root = write_repo(tmp_path, {"a": customer("A"), "s": staff})
    before = desired(root, date(2026, 10, 1))
    assert "s" in before.secrets
    live = with_items(applied(before), active=("s",))
    plan = plan_for(root, live)
    assert actions(plan) == []
    assert plan.routers[0].notes == (
        "secret s kept: customer s has protect: true (terminated on 2026-10-31); "
        "remove it by hand or set protect: false",
    )
    # Without protect, the same secret is cut and deleted.
    root = write_repo(tmp_path, {"a": customer("A"), "s": {**staff, "protect": False}})
    assert actions(plan_for(root, live)) == [
        ("disconnect", "session", "s"),
        ("delete", "secret", "s"),
    ]


def test_deletion_says_where_the_customer_went(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A"), "b": customer("B")})
    live = applied(desired(root))
    routers = {"r1": {"host": "127.0.0.1"}, "r2": {"host": "127.0.0.1"}}
    moved = {"a": customer("A", router="r2"), "b": customer("B", pppoe={"username": "bee"})}
    root = write_repo(tmp_path, moved, routers=routers)
    plan = plan_for(root, live)
    assert only(plan, "delete", "a").reason == "customer a moved to router r2"
    assert only(plan, "delete", "b").reason == "customer b's username changed to bee"
    assert only(plan, "create", "bee").customer == "b"
    (tmp_path / "state" / "customers" / "a.yaml").unlink()
    assert only(plan_for(root, live), "delete", "a").reason == (
        "customer a is no longer in the repository"
    )


# --- isolation and the safety limits -------------------------------------------------------


ISOLATE = {"suspend": {"mode": "isolate", "isolate_profile": "isolir"}}


def _ten(suspended: int) -> dict[str, dict]:
    return {
        f"c{i}": customer(f"C{i}", status="suspended" if i < suspended else "free")
        for i in range(10)
    }


@pytest.mark.parametrize(("suspended", "status"), [(3, "ok"), (4, "unsafe")])
def test_isolating_counts_against_max_disable_percent(
    tmp_path: Path, suspended: int, status: str
) -> None:
    """Isolation is a `disable` for the safety rule: 3 of 10 is 30% (allowed), 4 is 40%."""
    before = desired_for(write_repo(tmp_path / "before", _ten(0), settings=ISOLATE))
    root = write_repo(tmp_path / "after", _ten(suspended), settings=ISOLATE)
    router = plan_for(root, applied(before)).routers[0]
    assert sum(1 for c in router.changes if c.action == "disable") == suspended
    assert router.status == status
