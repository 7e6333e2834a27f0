"""The plan as Markdown for pull-request comments.

Starts with the hidden marker `<!-- isk-plan -->` so CI can update one comment, has a
summary table per router, then the changes with their reasons, and stays under the
size cap (GitHub rejects comments over 65,536 characters) with a note of what was cut.
"""

from __future__ import annotations

import re

from isk_reconcile.reconcile.plan_types import ACTIONS, Change, Plan, RouterPlan
from isk_reconcile.render.plan_text import conflict_count, field_text, verb
from isk_reconcile.untrusted import visible

MARKER = "<!-- isk-plan -->"
LIMIT = 60_000
# Every value in the comment may come from a pull request or a router: it must stay text.
# Names and field values are code spans (nothing inside one is markdown, HTML, a mention
# or a link); prose has every markdown/HTML character backslash-escaped, and becomes a
# code span too when it holds what GitHub would turn into a mention or a link.
# (Prose never starts a line here, so the line-start marks - + = # need no escape.)
_MARKDOWN_CHARS = re.compile(r"([\\`*_\[\]<>!|~&])")
_LINKISH = ("@", "://", "www.")


def code(value: str, *, cell: bool = False) -> str:
    """`value` as one inline code span, whatever backticks it holds; in a table `cell`
    `|` is escaped (GFM splits cells at it even inside code)."""
    text = visible(value)
    if cell:
        text = text.replace("|", "\\|")
    if text == "":
        return "(empty)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def prose(value: str) -> str:
    """Free text with every markdown and HTML character escaped."""
    text = visible(value)
    if any(mark in text for mark in _LINKISH):
        return code(value)
    return _MARKDOWN_CHARS.sub(r"\\\1", text)


def _table(plan: Plan) -> list[str]:
    columns = [*ACTIONS, "unmanaged"]
    lines = [
        "| router | status | " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for router in plan.routers:
        counts = " | ".join(str(router.summary.get(column, 0)) for column in columns)
        lines.append(f"| {prose(router.router)} | {router.status} | {counts} |")
    return lines


def _change_line(change: Change) -> str:
    who = (
        f" (customer {code(change.customer)})"
        if change.customer and change.customer != change.name
        else ""
    )
    line = f"- **{verb(change)}** {change.kind} {code(change.name)}{who}: {prose(change.reason)}"
    if change.fields and change.action != "delete":
        shown = "; ".join(code(field_text(key, *values)) for key, values in change.fields.items())
        line += f"  \n  {shown}"
    return line


def _router_lines(router: RouterPlan) -> list[str]:
    lines = [f"### {prose(router.router)}", ""]
    if router.status == "error":
        return [*lines, f"**Error:** {prose(router.error or '')}", ""]
    if router.status == "skipped":
        return [*lines, f"**Skipped:** {prose('; '.join(router.notes))}", ""]
    if router.status == "unsafe":
        lines += [f"**Unsafe:** {prose(router.unsafe_reason or '')} (apply needs `--force`)", ""]
    if not router.changes:
        lines.append("No changes.")
    lines += [_change_line(change) for change in router.changes]
    lines += [f"- note: {prose(note)}" for note in router.notes]
    return [*lines, ""]


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    head = [MARKER, f"## isk plan as of {plan.as_of.isoformat()}"]
    if plan.commit:
        head.append(f"Commit {code(plan.commit[:12])}")
    head += ["", *_table(plan), ""]
    head += [f"**Warning:** {prose(warning)}" for warning in plan.warnings]
    if plan.warnings:
        head.append("")
    failed = sum(1 for router in plan.routers if router.status == "error")
    conflicts = conflict_count(plan)
    if conflicts:
        head += [
            f"**{conflicts} conflict(s)** not applied: review them (`--adopt` takes them over).",
            "",
        ]
    if failed:
        head += [f"**{failed} router(s) could not be read**: their changes are not known.", ""]
    skipped = sum(1 for router in plan.routers if router.status == "skipped")
    if skipped:
        head += [
            f"**{skipped} router(s) skipped**: not contacted before merge (see below).",
            "",
        ]
    if not plan.has_changes and not conflicts and not failed and not skipped:
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
