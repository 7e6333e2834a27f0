"""Deletion reasons say what happened: a copy is a copy, a rename a rename, a comment
without a customer never reads "customer None"."""

from __future__ import annotations

from isk_reconcile.reconcile.desired import DesiredRouter
from isk_reconcile.reconcile.diff import deletion_reason
from isk_reconcile.state.settings import SuspendSettings

DESIRED = DesiredRouter(
    router="r1",
    prefix="isk:",
    suspend=SuspendSettings(),
    profiles={},
    secrets={},
    absent={"gone": "terminated on 2026-10-14"},
    placement={"budi": ("r1", "budi"), "ani": ("r2", "ani")},
)


def test_a_winbox_copy_beside_the_real_secret_is_called_a_copy() -> None:
    assert deletion_reason(DESIRED, "budi", {"budi", "budi-copy"}) == (
        "a copy of customer budi's secret budi (it carries the same ownership comment, e.g. "
        "copied in Winbox)"
    )


def test_a_rename_is_a_rename() -> None:
    assert deletion_reason(DESIRED, "budi", {"budi-old"}) == (
        "customer budi's username changed to budi"
    )


def test_a_comment_without_a_customer_never_says_none() -> None:
    reason = deletion_reason(DESIRED, None, {"x"})
    assert "None" not in reason and reason == "its ownership comment names no customer"


def test_moved_gone_and_billing_reasons() -> None:
    assert deletion_reason(DESIRED, "ani", set()) == "customer ani moved to router r2"
    assert deletion_reason(DESIRED, "gone", set()) == "terminated on 2026-10-14"
    assert deletion_reason(DESIRED, "who", set()) == "customer who is no longer in the repository"
