"""The plan as terminal text: grouped by router, a summary line per router.

Returns a `rich.text.Text` with styles; the CLI prints it through a rich Console,
which drops the colour when the output is not a terminal or with --no-color.
"""

from __future__ import annotations

from rich.text import Text

from isk_reconcile.reconcile.plan_types import (
    ACTIONS,
    CHANGED,
    HIDDEN,
    SET,
    Change,
    Plan,
    RouterPlan,
)
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.untrusted import visible

EN = translator("en")

SYMBOLS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "delete": ("-", "red"),
    "enable": ("^", "green"),
    "disable": ("v", "red"),
    "disconnect": ("x", "magenta"),
    "conflict": ("!", "bold red"),
}


def summary_line(router: RouterPlan, tr: Translator = EN) -> str:
    counts = ", ".join(
        f"{router.summary.get(action, 0)} {tr.message(action)}" for action in ACTIONS
    )
    return f"{counts}, {router.summary.get('unmanaged', 0)} {tr.message('unmanaged')}"


def field_text(key: str, before: str | None, after: str | None) -> str:
    """`key: before -> after`; control characters (a router's comment may hold any) are
    written as visible escapes."""
    if after in (CHANGED, SET) or before == HIDDEN:
        return visible(f"{key}: {after}")
    if before is None:
        return visible(f"{key}: {after}")
    return visible(f"{key}: {before} -> {after if after is not None else '(unset)'}")


def verb(change: Change, tr: Translator = EN) -> str:
    """The action as a reviewer reads it: in isolate mode a `disable` moves the secret
    into the isolate profile and an `enable` out of it (the summary keeps the six verbs)."""
    if change.kind == "secret" and "profile" in change.fields and "disabled" not in change.fields:
        if change.action == "disable":
            return tr.message("disable (isolate)")
        if change.action == "enable":
            return tr.message("enable (from isolation)")
    return tr.message(change.action)


def shown_reason(change: Change, said: dict[str, str], tr: Translator = EN) -> str:
    """The reason, without repeating one already shown for the same name: a disconnect
    after a suspension says "access suspended (see above)" instead of the whole invoice."""
    earlier = said.get(change.name)
    if change.kind == "session" and earlier and change.reason.endswith(": " + earlier):
        return tr.text(change.reason[: -len(earlier) - 2]) + tr.message(" (reason above)")
    return tr.text(change.reason)


def render_change(
    change: Change, text: Text, said: dict[str, str] | None = None, tr: Translator = EN
) -> None:
    symbol, style = SYMBOLS[change.action]
    text.append(f"  {symbol} {verb(change, tr)} {tr.message(change.kind)} ", style=style)
    text.append(visible(change.name), style="bold")
    if change.customer and change.customer != change.name:
        text.append(" (" + tr.message("customer %(id)s", id=visible(change.customer)) + ")")
    text.append("\n")
    if change.reason:
        reason = tr.text(change.reason) if said is None else shown_reason(change, said, tr)
        text.append(f"      {tr.message('why')}: {visible(reason)}\n", style="dim")
        if said is not None and change.kind != "session":
            said.setdefault(change.name, change.reason)
    if change.action == "delete":
        return
    for key, (before, after) in change.fields.items():
        text.append(f"      {field_text(key, before, after)}\n")


def render_router(router: RouterPlan, text: Text, tr: Translator = EN) -> None:
    text.append(visible(router.router), style="bold cyan")
    if router.status == "error":
        error = tr.text((router.error or "").removeprefix(f"{router.router}: "))
        text.append(f": {tr.message('ERROR')} {visible(error)}\n", style="bold red")
        return
    if router.status == "skipped":
        notes = "; ".join(tr.text(note) for note in router.notes)
        text.append(f": {tr.message('SKIPPED')} {visible(notes)}\n", style="bold yellow")
        return
    text.append(f": {summary_line(router, tr)}\n")
    if router.status == "unsafe":
        reason = visible(tr.text(router.unsafe_reason or ""))
        text.append(
            "  "
            + tr.message(
                "UNSAFE: %(reason)s; apply refuses this router without --force", reason=reason
            )
            + "\n",
            style="bold red",
        )
    said: dict[str, str] = {}
    for change in router.changes:
        render_change(change, text, said, tr)
    for note in router.notes:
        text.append(f"  {tr.message('note')}: {visible(tr.text(note))}\n", style="dim")
    if not router.changes:
        text.append(f"  {tr.message('no changes')}\n", style="dim")


def render_text(plan: Plan, language: str = "en") -> Text:
    """The plan in `language` (reasons translated here; the plan itself stays English)."""
    tr = translator(language)
    text = Text()
    text.append(tr.message("Plan as of %(day)s", day=tr.day(plan.as_of)), style="bold")
    if plan.commit:
        text.append(" (" + tr.message("commit %(sha)s", sha=visible(plan.commit[:12])) + ")")
    text.append("\n")
    for warning in plan.warnings:
        line = tr.message("warning: %(message)s", message=visible(tr.text(warning)))
        text.append(line + "\n", style="bold yellow")
    text.append("\n")
    for router in plan.routers:
        render_router(router, text, tr)
        text.append("\n")
    changes = sum(len(router.applicable) for router in plan.routers)
    failed = sum(1 for router in plan.routers if router.status == "error")
    skipped = sum(1 for router in plan.routers if router.status == "skipped")
    conflicts = conflict_count(plan)
    if changes:
        planned = len(plan.routers) - failed - skipped
        text.append(
            tr.message(
                "%(changes)s change(s) on %(routers)s router(s)", changes=changes, routers=planned
            ),
            style="bold",
        )
    elif conflicts:
        text.append(tr.message("No changes to apply"), style="bold")
    elif failed or skipped:
        text.append(tr.message("No changes on the routers that were read"), style="bold")
    else:
        text.append(tr.message("No changes: the routers match the repository"), style="bold green")
    if conflicts:
        text.append(
            tr.message(
                "; %(n)s conflict(s) not applied (review them; --adopt takes them over)",
                n=conflicts,
            ),
            style="bold red",
        )
    if failed:
        text.append(tr.message("; %(n)s router(s) could not be read", n=failed), style="bold red")
    if skipped:
        text.append(
            tr.message("; %(n)s router(s) skipped (not contacted)", n=skipped), style="bold yellow"
        )
    text.append(".\n")
    return text


def conflict_count(plan: Plan) -> int:
    return sum(
        1 for router in plan.routers for change in router.changes if change.action == "conflict"
    )
