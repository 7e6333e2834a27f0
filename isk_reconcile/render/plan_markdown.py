"""The plan as Markdown for pull-request comments.

Starts with the hidden marker `<!-- isk-plan -->` so CI can update one comment, has a
summary table per router, then the changes with their reasons, and stays under the
size cap (GitHub rejects comments over 65,536 characters) with a note of what was cut.
"""

from __future__ import annotations

from isk_reconcile.reconcile.plan import ACTIONS, Change, Plan, RouterPlan
from isk_reconcile.render.plan_text import conflict_count, field_text, verb

MARKER = "<!-- isk-plan -->"
LIMIT = 60_000


def _escape(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(plan: Plan) -> list[str]:
    columns = [*ACTIONS, "unmanaged"]
    lines = [
        "| router | status | " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for router in plan.routers:
        counts = " | ".join(str(router.summary.get(column, 0)) for column in columns)
        lines.append(f"| {router.router} | {router.status} | {counts} |")
    return lines


def _change_line(change: Change) -> str:
    who = (
        f" (customer `{change.customer}`)"
        if change.customer and change.customer != change.name
        else ""
    )
    line = f"- **{verb(change)}** {change.kind} `{change.name}`{who}: {_escape(change.reason)}"
    if change.fields and change.action != "delete":
        shown = "; ".join(
            _escape(field_text(key, *values)) for key, values in change.fields.items()
        )
        line += f"  \n  {shown}"
    return line


def _router_lines(router: RouterPlan) -> list[str]:
    lines = [f"### {router.router}", ""]
    if router.status == "error":
        return [*lines, f"**Error:** {_escape(router.error or '')}", ""]
    if router.status == "unsafe":
        lines += [f"**Unsafe:** {_escape(router.unsafe_reason or '')} (apply needs `--force`)", ""]
    if not router.changes:
        lines.append("No changes.")
    lines += [_change_line(change) for change in router.changes]
    lines += [f"- note: {_escape(note)}" for note in router.notes]
    return [*lines, ""]


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    head = [MARKER, f"## isk plan as of {plan.as_of.isoformat()}"]
    if plan.commit:
        head.append(f"Commit `{plan.commit[:12]}`")
    head += ["", *_table(plan), ""]
    failed = sum(1 for router in plan.routers if router.status == "error")
    conflicts = conflict_count(plan)
    if conflicts:
        head += [
            f"**{conflicts} conflict(s)** not applied: review them (`--adopt` takes them over).",
            "",
        ]
    if failed:
        head += [f"**{failed} router(s) could not be read**: their changes are not known.", ""]
    if not plan.has_changes and not conflicts and not failed:
        head += ["No changes: the routers match the repository.", ""]
    output = "\n".join(head) + "\n"
    body = [line for router in plan.routers for line in _router_lines(router)]
    reserve = 200  # room for the truncation note
    for index, line in enumerate(body):
        if len(output) + len(line) + 1 > limit - reserve:
            left = sum(1 for rest in body[index:] if rest.startswith("- **"))
            output += (
                f"\n_… output cut to stay under {limit:,} characters: {left} more "
                "change(s) not shown; run `isk plan` for the full plan._\n"
            )
            break
        output += line + "\n"
    return output
