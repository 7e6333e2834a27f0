"""What an update says and carries: the fields that differ, an adopted secret without a
comment, a disconnect mark beside other changes, and a password only when it changes."""

from __future__ import annotations

from pathlib import Path

from isk_reconcile.reconcile.comments import PENDING_MARK
from tests.helpers.isp import actions, applied, customer, desired, only, plan_for, write_repo


def _repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path, {"a": customer("A")})


def test_an_update_names_every_field_that_differs(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    live = applied(desired(root), a={"profile": "home-20m", "comment": "isk:a Old name"})
    update = only(plan_for(root, live), "update", "a")
    assert update.reason.startswith("comment, profile differs from the repository (")
    assert update.password_source is None  # the password is not rewritten


def test_a_profile_update_with_the_right_comment_says_the_profile_differs(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    update = only(plan_for(root, applied(desired(root), a={"profile": "home-20m"})), "update", "a")
    assert update.reason.startswith("profile differs from the repository (")


def test_a_changed_password_is_carried_for_apply(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    update = only(plan_for(root, applied(desired(root), a={"password": "old"})), "update", "a")
    assert update.password_source == "s3cret-pw"


def test_a_mark_beside_another_change_is_not_only_cleared(tmp_path: Path) -> None:
    """The mark of an interrupted apply, on a secret whose profile also differs now (no
    session online): an ordinary update, not 'clears the disconnect mark'."""
    root = _repo(tmp_path)
    wanted = desired(root).secrets["a"].attrs["comment"]
    live = applied(desired(root), a={"comment": wanted + PENDING_MARK, "profile": "home-20m"})
    update = only(plan_for(root, live), "update", "a")
    assert update.reason.startswith("comment, profile differs from the repository (")


def test_an_unmanaged_secret_without_a_comment_is_adopted(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    live = applied(desired(root), a={"comment": None})
    assert actions(plan_for(root, live)) == [("conflict", "secret", "a")]
    adopted = only(plan_for(root, live, adopt=True), "update", "a")
    assert adopted.reason.startswith("adopted: comment differs from the repository (")
