"""Plans built by hand for the renderer tests: every router status and change shape."""

from __future__ import annotations

from datetime import date

from isk_reconcile.reconcile.plan_types import Change, Plan, RouterPlan

DAY = date(2026, 11, 29)


def every_kind_of_router() -> Plan:
    changes = (
        Change(
            "create",
            "secret",
            "siti-home",
            "siti",
            "paid through 2026-12-14 (P-1)",
            {"password": (None, "(set)"), "profile": (None, "home-10m")},
        ),
        Change(
            "update",
            "secret",
            "ani",
            "ani",
            "profile differs",
            {"profile": ("home-10m", "home-20m"), "comment": ("old", None)},
        ),
        Change(
            "delete",
            "secret",
            "gone",
            None,
            "not in the repository",
            {"password": ("(hidden)", None), "profile": ("home-10m", None)},
        ),
        Change("conflict", "secret", "eko", "eko", "exists on the router without the isk comment"),
    )
    disable = Change("disable", "secret", "budi", "budi", "unpaid", {"disabled": ("false", "true")})
    summary = {"create": 1, "update": 1, "delete": 1, "conflict": 1, "unmanaged": 2}
    return Plan(
        as_of=DAY,
        commit="0123456789abcdef",
        warnings=("rw09-bae logs in over plain API",),
        routers=(
            RouterPlan(
                "core-kudus",
                "ok",
                summary=summary,
                changes=changes,
                notes=("profile home-old kept: a secret still uses it",),
            ),
            RouterPlan("rw09-bae", "error", None),
            RouterPlan("rw10", "skipped", notes=("not contacted before merge", "pull request")),
            RouterPlan("rw11", "unsafe", summary={"disable": 1}, changes=(disable,)),
            RouterPlan("rw12", "ok"),
        ),
    )
