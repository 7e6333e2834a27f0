"""The live side of `isk status` (reconcile.status): drift counts per router."""

from __future__ import annotations

from datetime import date

from isk_reconcile.reconcile.plan_types import Change as PlanChange
from isk_reconcile.reconcile.plan_types import Plan, RouterPlan
from isk_reconcile.reconcile.status import drifted_entries


def test_drifted_entries_count_each_profile_and_account_once() -> None:
    def change(action: str, kind: str, name: str) -> PlanChange:
        return PlanChange(action=action, kind=kind, name=name, customer=None, reason="test")

    plan = Plan(
        as_of=date(2026, 11, 20),
        commit=None,
        routers=(
            RouterPlan(
                router="r1",
                status="ok",
                changes=(
                    change("disable", "secret", "budi"),
                    change("disconnect", "session", "budi"),  # same account
                    change("update", "profile", "budi"),  # a profile may share the name
                    change("create", "secret", "ani"),
                    change("conflict", "secret", "hand-made"),  # never applied
                ),
            ),
            RouterPlan(router="r2", status="unsafe", changes=(change("delete", "secret", "x"),)),
            RouterPlan(router="r3", status="error", error="timed out"),
        ),
    )
    assert drifted_entries(plan) == {"r1": 3, "r2": 1}
