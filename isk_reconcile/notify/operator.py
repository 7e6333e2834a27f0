"""Operator events from a plan and its apply (pure): router.unreachable, drift.detected,
apply.failed, apply.summary. `run` (the apply's start time) tells runs apart, so every
apply posts its own summary; unreachable routers and drift are told once a day."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from isk_reconcile.notify.events import (
    APPLY_FAILED,
    APPLY_SUMMARY,
    DRIFT_DETECTED,
    ROUTER_UNREACHABLE,
    Notice,
)
from isk_reconcile.reconcile.apply import ApplyReport
from isk_reconcile.reconcile.plan_types import Change, Plan


def is_drift(change: Change) -> bool:
    """A router that differs from the repository for no billing reason: a conflict, or a
    field someone changed on the router (the plan says it "differs from the repository")."""
    return change.action == "conflict" or "differs from the repository" in change.reason


def apply_notices(
    plan: Plan, report: ApplyReport | None, as_of: date, run: datetime
) -> list[Notice]:
    found: list[Notice] = []
    day = as_of.isoformat()
    for router in plan.routers:
        if router.status == "error":
            found.append(
                Notice(
                    key=f"{ROUTER_UNREACHABLE}:{router.router}:{day}",
                    event=ROUTER_UNREACHABLE,
                    customer=None,
                    why=f"router {router.router}: {router.error}",
                    facts={"router": router.router, "error": router.error or "unknown error"},
                )
            )
    drift = {
        router.router: sum(1 for change in router.changes if is_drift(change))
        for router in plan.routers
    }
    drift = {name: count for name, count in drift.items() if count}
    if drift:
        summary = ", ".join(f"{name}: {count} change(s)" for name, count in sorted(drift.items()))
        found.append(_notice(DRIFT_DETECTED, f"{DRIFT_DETECTED}:{day}", summary))
    if report is None:
        return found
    stamp = run.isoformat(timespec="seconds")
    if not report.ok:
        problems = [
            f"{result.router}: {result.status}"
            + (f" ({'; '.join(result.errors[:3])})" if result.errors else "")
            + (f", {len(result.residual)} still differ" if result.residual else "")
            for result in report.routers
            if not result.ok
        ]
        found.append(_notice(APPLY_FAILED, f"{APPLY_FAILED}:{day}:{stamp}", "; ".join(problems)))
    applied = [result for result in report.routers if result.applied]
    if applied:
        found.append(
            _notice(APPLY_SUMMARY, f"{APPLY_SUMMARY}:{day}:{stamp}", summarize(plan, report))
        )
    return found


def summarize(plan: Plan, report: ApplyReport) -> str:
    """'core-kudus: 3 writes (2 disable, 1 enable)' per router that changed."""
    parts = []
    for result in report.routers:
        if not result.applied:
            continue
        router_plan = next((r for r in plan.routers if r.router == result.router), None)
        actions = Counter(c.action for c in router_plan.applicable) if router_plan else Counter()
        detail = ", ".join(f"{count} {action}" for action, count in sorted(actions.items()))
        parts.append(
            f"{result.router}: {result.applied} write(s)" + (f" ({detail})" if detail else "")
        )
    return "; ".join(parts)


def _notice(event: str, key: str, summary: str) -> Notice:
    return Notice(key=key, event=event, customer=None, why=summary, facts={"summary": summary})
