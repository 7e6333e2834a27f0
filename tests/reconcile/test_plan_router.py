"""plan_router on its own: pools that exist nowhere stop the router's plan, adopting is
asked for (never the default), unreadable passwords are said."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from isk_reconcile.reconcile.comments import passthrough_of_comment, profile_comment
from isk_reconcile.reconcile.diff import is_builtin
from isk_reconcile.reconcile.plan import plan_router
from isk_reconcile.routeros.types import LiveItem, LiveState
from tests.helpers.isp import (
    PROFILES,
    applied,
    customer,
    desired,
    load,
    with_items,
    write_repo,
)


def _root(tmp_path: Path) -> Path:
    profiles = {**PROFILES, "home-20m": {**PROFILES["home-20m"], "remote_address": "pool-biz"}}
    customers = {"a": customer("A"), "b": customer("B", profile="home-20m")}
    return write_repo(tmp_path, customers, profiles=profiles)


def test_pools_that_exist_nowhere_make_the_router_an_error(tmp_path: Path) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    live = applied(wanted)
    bare = LiveState(live.router, live.profiles, live.secrets, live.active, pools=())
    planned = plan_router(wanted, bare, load(root).settings.safety)
    assert (planned.router, planned.status, planned.changes) == ("r1", "error", ())
    assert planned.error == (
        "r1: 'home-20m' names IP pool 'pool-biz', which is neither in routers.yaml pools nor "
        "on the router: add it to the router's pools (or create it on the router) first; "
        "'home-10m' names IP pool 'pool-home', which is neither in routers.yaml pools nor on "
        "the router: add it to the router's pools (or create it on the router) first"
    )


def _hand_made_profile(root: Path) -> tuple[LiveState, object]:
    wanted = desired(root)
    live = applied(wanted, **{"home-20m": {"comment": None, "rate-limit": "1M/1M"}})
    pools = (*live.pools, LiveItem("*P2", {"name": "pool-biz", "ranges": "10.30.0.2-10.30.0.9"}))
    return LiveState(live.router, live.profiles, live.secrets, live.active, pools), wanted


def test_an_unmanaged_profile_is_adopted_only_when_asked(tmp_path: Path) -> None:
    root = _root(tmp_path)
    live, wanted = _hand_made_profile(root)
    safety = load(root).settings.safety
    by_default = plan_router(wanted, live, safety)
    assert [(c.action, c.name) for c in by_default.changes] == [("conflict", "home-20m")]
    adopted = plan_router(wanted, live, safety, adopt=True)
    assert [(c.action, c.name) for c in adopted.changes] == [("update", "home-20m")]
    assert adopted.changes[0].reason == (
        "adopted with --adopt: package home-20m defined in the repository"
    )


def test_passwords_the_router_does_not_print_are_noted(tmp_path: Path) -> None:
    root = _root(tmp_path)
    live, wanted = _hand_made_profile(root)
    unread = applied(wanted, a={"password": None}, b={"password": None})
    blind = LiveState(unread.router, unread.profiles, unread.secrets, unread.active, live.pools)
    planned = plan_router(wanted, blind, load(root).settings.safety)
    assert planned.notes == (
        "passwords not readable by the API user: 2 password(s) cannot be checked; give the "
        "user the sensitive policy",
    )


def test_the_passthrough_mark_lists_the_keys_isk_wrote() -> None:
    comment = profile_comment("isk:", "Paket", ("idle-timeout", "insert-queue-before"))
    assert passthrough_of_comment(comment) == ("idle-timeout", "insert-queue-before")
    assert passthrough_of_comment(profile_comment("isk:", "Paket")) == ()


def test_builtin_profiles_are_the_reserved_names_and_the_default_flag() -> None:
    assert is_builtin(LiveItem("*0", {"name": "default"}))
    assert is_builtin(LiveItem("*1", {"name": "custom", "default": "true"}))
    assert is_builtin(LiveItem("*2", {"name": "custom", "default": "yes"}))
    assert not is_builtin(LiveItem("*3", {"name": "custom", "default": "false"}))


def _pooled(live: LiveState, *extra_profiles: LiveItem) -> LiveState:
    pools = (*live.pools, LiveItem("*P2", {"name": "pool-biz", "ranges": "10.30.0.2-10.30.0.9"}))
    return LiveState(live.router, live.profiles + extra_profiles, live.secrets, live.active, pools)


def test_every_missing_package_is_created(tmp_path: Path) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    live = applied(wanted)
    builtins = tuple(item for item in live.profiles if item.name not in wanted.profiles)
    empty = _pooled(LiveState(live.router, builtins, live.secrets, live.active, live.pools))
    created = [c for c in plan_router(wanted, empty, load(root).settings.safety).changes
               if c.kind == "profile"]  # fmt: skip
    assert [(c.action, c.name) for c in created] == [
        ("create", name) for name in sorted(wanted.profiles)
    ]
    assert {c.reason for c in created} == {"package defined in the repository"}


def test_a_passthrough_key_dropped_from_the_yaml_is_unset(tmp_path: Path) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    comment = wanted.profiles["home-20m"].attrs["comment"] + " [routeros: idle-timeout]"
    live = _pooled(applied(wanted, **{"home-20m": {"comment": comment, "idle-timeout": "5m"}}))
    (update,) = [c for c in plan_router(wanted, live, load(root).settings.safety).changes
                 if c.name == "home-20m"]  # fmt: skip
    assert update.action == "update" and update.reason == "package home-20m changed"
    assert update.target["idle-timeout"] == ""
    assert update.fields["idle-timeout"] == ("5m", None)


def test_a_retired_package_still_used_by_a_hand_made_secret_is_kept(tmp_path: Path) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    retired = LiveItem("*R1", {"name": "old-pkg", "comment": "isk:profile Old"})
    live = applied(wanted, a={"comment": None, "profile": "old-pkg"})
    planned = plan_router(wanted, _pooled(live, retired), load(root).settings.safety)
    assert ("delete", "old-pkg") not in [(c.action, c.name) for c in planned.changes]
    assert "profile old-pkg kept: no longer in the repository but still used by a" in planned.notes


def test_a_router_moving_to_radius_has_no_safety_limit_on_its_secrets(tmp_path: Path) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    live = _pooled(applied(wanted))
    nobody = dataclasses.replace(wanted, secrets={})
    safety = load(root).settings.safety.model_copy(update={"max_delete_percent": 10})
    assert plan_router(nobody, live, safety).status == "unsafe"
    radius = dataclasses.replace(nobody, backend="radius")
    moved = plan_router(radius, with_items(live, active=("a",)), safety)
    assert moved.status == "ok"
    deletes = [c for c in moved.changes if c.kind == "secret"]
    assert [(c.action, c.name, c.customer) for c in deletes] == [
        ("delete", "a", "a"),
        ("delete", "b", "b"),
    ]
    assert {c.reason for c in deletes} == {
        "router r1 uses RADIUS: the account is served by the store"
    }
    assert deletes[0].fields["profile"] == ("home-10m", None)
    assert not [c for c in moved.changes if c.kind == "session"]  # it re-authenticates


def test_a_protected_customer_keeps_secret_and_package_and_the_next_one_still_goes(
    tmp_path: Path,
) -> None:
    profiles = {**PROFILES, "home-20m": {**PROFILES["home-20m"], "remote_address": "pool-biz"}}
    customers = {
        "a": customer("A"),
        "b": customer("B", profile="home-20m"),
        "p": customer("P", status="terminated", end="2026-06-30", protect=True),
    }
    root = write_repo(tmp_path, customers, profiles=profiles)
    wanted = desired(root)
    retired = LiveItem("*R1", {"name": "old-pkg", "comment": "isk:profile Old"})
    kept = LiveItem("*S1", {"name": "p", "comment": "isk:p P", "profile": "old-pkg"})
    gone = LiveItem("*S2", {"name": "zz", "comment": "isk:zz Zed", "profile": "home-10m"})
    copy = LiveItem("*S3", {"name": "a-copy", "comment": "isk:a A", "profile": "home-10m"})
    live = with_items(_pooled(applied(wanted), retired), secrets=(kept, gone, copy),
                      active=("zz",))  # fmt: skip
    planned = plan_router(wanted, live, load(root).settings.safety)
    assert [(c.action, c.name, c.customer) for c in planned.changes if c.kind != "profile"] == [
        ("disconnect", "zz", "zz"),
        ("delete", "a-copy", "a"),
        ("delete", "zz", "zz"),
    ]
    assert planned.changes[-2].reason.startswith("a copy of customer a's secret a ")
    assert planned.notes[0].startswith("secret p kept: customer p has protect: true (")
    assert "profile old-pkg kept: no longer in the repository but still used by p" in planned.notes


def test_retired_packages_go_unless_used_and_the_users_are_named_three_at_most(
    tmp_path: Path,
) -> None:
    root = _root(tmp_path)
    wanted = desired(root)
    retired = tuple(
        LiveItem(f"*R{n}", {"name": name, "comment": f"isk:profile {name}"})
        for n, name in enumerate(("by-four", "by-three", "unused"))
    )
    hand_made = tuple(
        LiveItem(f"*H{n}", {"name": f"h{n}", "profile": "by-four" if n < 4 else "by-three"})
        for n in range(7)
    )
    live = with_items(_pooled(applied(wanted), *retired), secrets=hand_made)
    planned = plan_router(wanted, live, load(root).settings.safety)
    deletes = [(c.name, c.reason) for c in planned.changes if c.action == "delete"]
    assert deletes == [("unused", "package unused is no longer in the repository")]
    assert planned.notes == (
        "profile by-four kept: no longer in the repository but still used by h0, h1, h2 and 1 more",
        "profile by-three kept: no longer in the repository but still used by h4, h5, h6",
    )
    assert planned.summary["unmanaged"] == 7 + 2  # the hand-made secrets and both pools


def test_a_declared_pool_the_router_holds_as_declared_is_left_alone(tmp_path: Path) -> None:
    pools = {"pool-home": {"ranges": ["10.20.0.10-10.20.0.250"]}}
    routers = {"r1": {"host": "127.0.0.1", "port": 8728, "pools": pools}}
    root = write_repo(tmp_path, {"a": customer("A")}, routers=routers)
    wanted = desired(root)
    applied_pool = LiveItem("*P1", {**wanted.pools["pool-home"].attrs})
    live = applied(wanted)
    live = LiveState(live.router, live.profiles, live.secrets, live.active, (applied_pool,))
    assert plan_router(wanted, live, load(root).settings.safety).changes == ()


def test_skipped_and_conflicting_packages_do_not_stop_the_ones_after_them(tmp_path: Path) -> None:
    """A package the router flags as its default is left alone, one in conflict is shown:
    the packages after them (in name order) are still planned, and a hand-made package
    does not stop the retired ones after it from going."""
    root = _root(tmp_path)
    wanted = desired(root)
    live = applied(
        wanted,
        **{
            "home-10m": {"default": "yes", "rate-limit": "1M/1M"},
            "home-20m": {"comment": None, "rate-limit": "1M/1M"},
            "isolir": {"rate-limit": "1M/1M"},
        },
    )
    hand_made = LiveItem("*H1", {"name": "aaa-hand", "rate-limit": "2M/2M"})
    retired = LiveItem("*R1", {"name": "zz-old", "comment": "isk:profile Old"})
    profiles = (*live.profiles[:-3], hand_made, *live.profiles[-3:], retired)
    live = LiveState(live.router, profiles, live.secrets, live.active, live.pools)
    planned = plan_router(wanted, _pooled(live), load(root).settings.safety)
    assert sorted((c.action, c.name) for c in planned.changes if c.kind == "profile") == [
        ("conflict", "home-20m"),
        ("delete", "zz-old"),
        ("update", "isolir"),
    ]


def test_adopt_reaches_the_pools(tmp_path: Path) -> None:
    pools = {"pool-home": {"ranges": ["10.20.0.10-10.20.0.99"]}}
    routers = {"r1": {"host": "127.0.0.1", "port": 8728, "pools": pools}}
    root = write_repo(tmp_path, {"a": customer("A")}, routers=routers)
    wanted = desired(root)
    live = applied(wanted)  # pool-home as made by hand, other ranges
    changes = plan_router(wanted, live, load(root).settings.safety, adopt=True).changes
    assert [(c.action, c.name) for c in changes if c.kind == "pool"] == [("update", "pool-home")]
