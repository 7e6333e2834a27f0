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
from isk_reconcile.untrusted import visible

SYMBOLS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "delete": ("-", "red"),
    "enable": ("^", "green"),
    "disable": ("v", "red"),
    "disconnect": ("x", "magenta"),
    "conflict": ("!", "bold red"),
}


def summary_line(router: RouterPlan) -> str:
    counts = ", ".join(f"{router.summary.get(action, 0)} {action}" for action in ACTIONS)
    return f"{counts}, {router.summary.get('unmanaged', 0)} unmanaged"


def field_text(key: str, before: str | None, after: str | None) -> str:
    """`key: before -> after`; control characters (a router's comment may hold any) are
    written as visible escapes."""
    if after in (CHANGED, SET) or before == HIDDEN:
        return visible(f"{key}: {after}")
    if before is None:
        return visible(f"{key}: {after}")
    return visible(f"{key}: {before} -> {after if after is not None else '(unset)'}")


def verb(change: Change) -> str:
    """The action as a reviewer reads it: in isolate mode a `disable` moves the secret
    into the isolate profile and an `enable` out of it (the summary keeps the six verbs)."""
    if change.kind == "secret" and "profile" in change.fields and "disabled" not in change.fields:
        if change.action == "disable":
            return "disable (isolate)"
        if change.action == "enable":
            return "enable (from isolation)"
    return change.action


def shown_reason(change: Change, said: dict[str, str]) -> str:
    """The reason, without repeating one already shown for the same name: a disconnect
    after a suspension says "access suspended (see above)" instead of the whole invoice."""
    earlier = said.get(change.name)
    if change.kind == "session" and earlier and change.reason.endswith(": " + earlier):
        return change.reason[: -len(earlier) - 2] + " (reason above)"
    return change.reason


def render_change(change: Change, text: Text, said: dict[str, str] | None = None) -> None:
    symbol, style = SYMBOLS[change.action]
    text.append(f"  {symbol} {verb(change)} {change.kind} ", style=style)
    text.append(visible(change.name), style="bold")
    if change.customer and change.customer != change.name:
        text.append(f" (customer {visible(change.customer)})")
    text.append("\n")
    if change.reason:
        reason = change.reason if said is None else shown_reason(change, said)
        text.append(f"      why: {visible(reason)}\n", style="dim")
        if said is not None and change.kind != "session":
            said.setdefault(change.name, change.reason)
    if change.action == "delete":
        return
    for key, (before, after) in change.fields.items():
        text.append(f"      {field_text(key, before, after)}\n")


def render_router(router: RouterPlan, text: Text) -> None:
    text.append(visible(router.router), style="bold cyan")
    if router.status == "error":
        error = (router.error or "").removeprefix(f"{router.router}: ")
        text.append(f": ERROR {visible(error)}\n", style="bold red")
        return
    if router.status == "skipped":
        text.append(f": SKIPPED {visible('; '.join(router.notes))}\n", style="bold yellow")
        return
    text.append(f": {summary_line(router)}\n")
    if router.status == "unsafe":
        reason = visible(router.unsafe_reason or "")
        text.append(
            f"  UNSAFE: {reason}; apply refuses this router without --force\n",
            style="bold red",
        )
    said: dict[str, str] = {}
    for change in router.changes:
        render_change(change, text, said)
    for note in router.notes:
        text.append(f"  note: {visible(note)}\n", style="dim")
    if not router.changes:
        text.append("  no changes\n", style="dim")


def render_text(plan: Plan) -> Text:
    text = Text()
    text.append(f"Plan as of {plan.as_of.isoformat()}", style="bold")
    if plan.commit:
        text.append(f" (commit {visible(plan.commit[:12])})")
    text.append("\n")
    for warning in plan.warnings:
        text.append(f"warning: {visible(warning)}\n", style="bold yellow")
    text.append("\n")
    for router in plan.routers:
        render_router(router, text)
        text.append("\n")
    changes = sum(len(router.applicable) for router in plan.routers)
    failed = sum(1 for router in plan.routers if router.status == "error")
    skipped = sum(1 for router in plan.routers if router.status == "skipped")
    conflicts = conflict_count(plan)
    if changes:
        planned = len(plan.routers) - failed - skipped
        text.append(f"{changes} change(s) on {planned} router(s)", style="bold")
    elif conflicts:
        text.append("No changes to apply", style="bold")
    elif failed or skipped:
        text.append("No changes on the routers that were read", style="bold")
    else:
        text.append("No changes: the routers match the repository", style="bold green")
    if conflicts:
        text.append(
            f"; {conflicts} conflict(s) not applied (review them; --adopt takes them over)",
            style="bold red",
        )
    if failed:
        text.append(f"; {failed} router(s) could not be read", style="bold red")
    if skipped:
        text.append(f"; {skipped} router(s) skipped (not contacted)", style="bold yellow")
    text.append(".\n")
    return text


def conflict_count(plan: Plan) -> int:
    return sum(
        1 for router in plan.routers for change in router.changes if change.action == "conflict"
    )
