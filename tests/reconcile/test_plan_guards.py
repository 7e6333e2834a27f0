"""The plan's ownership rule and safety denominator (SPEC §5), stated as behaviour.

- isk owns an entry only when its comment *starts* with the prefix ("isk:"); the prefix
  anywhere else in a comment (someone quoting it, an old note) leaves the entry unmanaged:
  never updated, deleted or counted as managed;
- the safety percentages are of *managed* secrets: unmanaged secrets on the same router
  must not dilute them.
"""

from __future__ import annotations

from pathlib import Path

from isk_reconcile.routeros.types import LiveItem
from tests.helpers.isp import actions, applied, customer, desired, plan_for, with_items, write_repo

QUOTING = (
    "legacy isk:gone copied from the old router",
    " isk:gone",
    "note: isk:",
    "ISK:gone",
    "isk-gone",
)


def test_comments_holding_the_prefix_elsewhere_are_unmanaged(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    strangers = tuple(
        LiveItem(f"*7{n}", {"name": f"gone{n}", "profile": "home-10m", "comment": comment})
        for n, comment in enumerate(QUOTING)
    )
    old_profile = LiveItem("*80", {"name": "old-5m", "comment": "was isk:profile Lama"})
    live = with_items(
        applied(desired(root)),
        profiles=(old_profile,),
        secrets=strangers,
        active=tuple(item.name for item in strangers),
    )
    plan = plan_for(root, live)
    assert actions(plan) == []  # nothing deleted, nothing disconnected
    already = plan_for(root, applied(desired(root))).routers[0].summary["unmanaged"]
    assert plan.routers[0].summary["unmanaged"] == already + len(strangers) + 1


def test_a_desired_name_whose_comment_only_quotes_the_prefix_is_a_conflict(
    tmp_path: Path,
) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    live = applied(desired(root), a={"comment": "see isk:a", "profile": "home-20m"})
    plan = plan_for(root, live)
    assert actions(plan) == [("conflict", "secret", "a")]
    assert not plan.has_changes


def test_the_prefix_at_the_start_is_managed(tmp_path: Path) -> None:
    """The control: the same entries with the prefix first are isk's and are removed."""
    root = write_repo(tmp_path, {"a": customer("A")})
    mine = LiveItem("*70", {"name": "gone", "profile": "home-10m", "comment": "isk:gone Gone"})
    old_profile = LiveItem("*80", {"name": "old-5m", "comment": "isk:profile Lama"})
    live = with_items(applied(desired(root)), profiles=(old_profile,), secrets=(mine,))
    assert actions(plan_for(root, live)) == [
        ("delete", "secret", "gone"),
        ("delete", "profile", "old-5m"),
    ]


def test_unmanaged_secrets_do_not_dilute_the_disable_limit(tmp_path: Path) -> None:
    names = [f"c{n:02d}" for n in range(10)]
    root = write_repo(tmp_path, {name: customer(name.upper()) for name in names})
    before = applied(desired(root))
    unmanaged = tuple(
        LiveItem(f"*9{n:02d}", {"name": f"hand{n}", "profile": "default", "comment": "by hand"})
        for n in range(90)
    )
    live = with_items(before, secrets=unmanaged)
    # 4 of the 10 managed secrets suspended: 40% > the default 30%.
    suspended = {name: customer(name.upper(), status="suspended") for name in names[:4]}
    write_repo(tmp_path, {**{name: customer(name.upper()) for name in names}, **suspended})
    already = plan_for(root, before).routers[0].summary["unmanaged"]
    router = plan_for(root, live).routers[0]
    assert router.summary["disable"] == 4
    assert router.summary["unmanaged"] == already + 90
    assert router.status == "unsafe"
    assert router.unsafe_reason == "would disable 4 of 10 managed secrets (40% > 30%)"


def test_unmanaged_secrets_do_not_dilute_the_delete_limit(tmp_path: Path) -> None:
    names = [f"c{n:02d}" for n in range(10)]
    root = write_repo(tmp_path, {name: customer(name.upper()) for name in names})
    before = applied(desired(root))
    unmanaged = tuple(
        LiveItem(f"*9{n:02d}", {"name": f"hand{n}", "profile": "default", "comment": "by hand"})
        for n in range(90)
    )
    live = with_items(before, secrets=unmanaged)
    write_repo(tmp_path, {name: customer(name.upper()) for name in names[2:]})
    router = plan_for(root, live).routers[0]
    assert router.summary["delete"] == 2
    assert router.status == "unsafe"
    assert router.unsafe_reason == "would delete 2 of 10 managed secrets (20% > 10%)"


def test_deleting_every_managed_secret_is_unsafe_beside_unmanaged_ones(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A"), "b": customer("B")})
    hand = LiveItem("*90", {"name": "tech", "profile": "default", "comment": "by hand"})
    live = with_items(applied(desired(root)), secrets=(hand,))
    write_repo(tmp_path, {})
    router = plan_for(root, live).routers[0]
    assert router.summary["delete"] == 2
    assert router.unsafe_reason == "would delete every managed secret (2)"
