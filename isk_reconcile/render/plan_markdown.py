"""The plan as Markdown for pull-request comments.

Starts with the hidden marker `<!-- isk-plan -->` so CI can update one comment, has a
summary table per router, then the changes with their reasons, and stays under the
size cap (GitHub rejects comments over 65,536 characters) with a note of what was cut.
"""

from __future__ import annotations

import re

from isk_reconcile.reconcile.plan_types import ACTIONS, Change, Plan, RouterPlan
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.render.plan_text import EN, conflict_count, field_text, verb
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


def _table(plan: Plan, tr: Translator = EN) -> list[str]:
    columns = [*ACTIONS, "unmanaged"]
    headers = [tr.message("router"), tr.message("status"), *map(tr.message, columns)]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for router in plan.routers:
        counts = " | ".join(str(router.summary.get(column, 0)) for column in columns)
        lines.append(f"| {prose(router.router)} | {tr.message(router.status)} | {counts} |")
    return lines


def _change_line(change: Change, tr: Translator = EN) -> str:
    who = (
        " (" + tr.message("customer %(id)s", id=code(change.customer)) + ")"
        if change.customer and change.customer != change.name
        else ""
    )
    what = f"**{verb(change, tr)}** {tr.message(change.kind)} {code(change.name)}{who}"
    line = f"- {what}: {prose(tr.text(change.reason))}"
    if change.fields and change.action != "delete":
        shown = "; ".join(code(field_text(key, *values)) for key, values in change.fields.items())
        line += f"  \n  {shown}"
    return line


def _router_lines(router: RouterPlan, tr: Translator = EN) -> list[str]:
    lines = [f"### {prose(router.router)}", ""]
    if router.status == "error":
        error = prose(tr.text(router.error or ""))
        return [*lines, f"**{tr.message('Error:')}** {error}", ""]
    if router.status == "skipped":
        notes = prose("; ".join(tr.text(note) for note in router.notes))
        return [*lines, f"**{tr.message('Skipped:')}** {notes}", ""]
    if router.status == "unsafe":
        reason = prose(tr.text(router.unsafe_reason or ""))
        needs = tr.message("(apply needs `--force`)")
        lines += [f"**{tr.message('Unsafe:')}** {reason} {needs}", ""]
    if not router.changes:
        lines.append(tr.message("No changes."))
    lines += [_change_line(change, tr) for change in router.changes]
    lines += [f"- {tr.message('note')}: {prose(tr.text(note))}" for note in router.notes]
    return [*lines, ""]


def render_markdown(plan: Plan, limit: int = LIMIT, language: str = "en") -> str:
    """The comment in `language`: headings, counts and reasons translated (the JSON plan
    stays English)."""
    tr = translator(language)
    head = [MARKER, "## " + tr.message("isk plan as of %(day)s", day=tr.day(plan.as_of))]
    if plan.commit:
        head.append(tr.message("Commit %(sha)s", sha=code(plan.commit[:12])))
    head += ["", *_table(plan, tr), ""]
    warning_word = tr.message("Warning:")
    head += [f"**{warning_word}** {prose(tr.text(warning))}" for warning in plan.warnings]
    if plan.warnings:
        head.append("")
    head += _counts(plan, tr)
    output = "\n".join(head) + "\n"
    body = [line for router in plan.routers for line in _router_lines(router, tr)]
    reserve = 200  # room for the truncation note
    for index, line in enumerate(body):
        if len(output) + len(line) + 1 > limit - reserve:
            left = sum(1 for rest in body[index:] if rest.startswith("- **"))
            cut = tr.message(
                "… output cut to stay under %(limit)s characters: %(left)s more change(s) "
                "not shown; run `isk plan` for the full plan.",
                limit=f"{limit:,}",
                left=left,
            )
            output += f"\n_{cut}_\n"
            break
        output += line + "\n"
    return output


def _counts(plan: Plan, tr: Translator) -> list[str]:
    """The bold lines under the table: conflicts, routers not read or skipped, or none."""
    lines: list[str] = []
    failed = sum(1 for router in plan.routers if router.status == "error")
    conflicts = conflict_count(plan)
    if conflicts:
        lines += [
            tr.message(
                "**%(n)s conflict(s)** not applied: review them (`--adopt` takes them over).",
                n=conflicts,
            ),
            "",
        ]
    if failed:
        lines += [
            tr.message(
                "**%(n)s router(s) could not be read**: their changes are not known.", n=failed
            ),
            "",
        ]
    skipped = sum(1 for router in plan.routers if router.status == "skipped")
    if skipped:
        lines += [
            tr.message(
                "**%(n)s router(s) skipped**: not contacted before merge (see below).", n=skipped
            ),
            "",
        ]
    if not plan.has_changes and not conflicts and not failed and not skipped:
        lines += [tr.message("No changes: the routers match the repository."), ""]
    return lines
