"""`isk status` for people: the dashboard as rich tables (plain text off a terminal).
Every cell is a Text, so customer text is never read as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.billing.report_types import CustomerCounts, Dashboard
from isk_reconcile.render.tables import render_rich
from isk_reconcile.untrusted import visible

SHOWN_OVERDUE = 10


def render_status(board: Dashboard, *, color: bool = False) -> str:
    """The dashboard for people."""
    commit = board.commit[:12] if board.commit else "not a git repository"
    parts: list = [
        Text(f"ISP status as of {board.as_of.isoformat()} · month {board.month} · commit {commit}"),
        _routers_table(board),
        _money_table(board),
        _aging_table(board),
        _expiring_part(board),
        *_overdue_parts(board),
    ]
    parts += [Text(f"note: {note}") for note in board.notes]
    return render_rich(Group(*parts), color=color)


def _routers_table(board: Dashboard) -> Table:
    live = _table(
        "Routers",
        ("router", "state", "identity", "version", "uptime", "sessions", "drift"),
        right=("sessions", "drift"),
    )
    for status in board.routers:
        if status.reachable is None:
            state = Text("not read", style="dim")
        elif status.reachable:
            state = Text("reachable", style="green")
        else:
            state = Text(f"unreachable: {visible(status.error or '')}", style="red")
        info = status.info
        live.add_row(
            Text(status.name),
            state,
            # What the router says is router text: control characters made visible.
            Text(visible(info.identity) if info else ""),
            Text(visible(info.version) if info else ""),
            Text(visible(info.uptime) if info else ""),
            Text(_opt(info.active_sessions if info else None)),
            Text(_opt(status.drift)),
        )
    live.add_section()
    live.add_row(
        Text("total"),
        Text(""),
        Text(""),
        Text(""),
        Text(""),
        Text(_opt(board.active_sessions)),
        Text(_opt(board.drift)),
    )
    return live


def _money_table(board: Dashboard) -> Table:
    money_columns = ["router", "customers", "active", "suspended", "free", "terminated"]
    money_columns += ["expiring", f"billed {board.month}", "collected", "credits"]
    money_columns += ["written off", "receivables"]
    money = _table("Customers and money", money_columns, right=money_columns[1:])
    rows = [(status.name, status.figures) for status in board.routers]
    for index, (name, figures) in enumerate([*rows, ("total", board.total)]):
        counts = figures.customers
        if index == len(rows):
            money.add_section()
        cells = [
            name,
            str(counts.total),
            str(counts.active),
            _suspended(counts),
            str(counts.free),
            str(counts.terminated),
            str(figures.expiring),
            rupiah(figures.billed),
            rupiah(figures.collected),
            rupiah(figures.credits),
            rupiah(figures.written_off),
            rupiah(figures.outstanding),
        ]
        money.add_row(*(Text(cell) for cell in cells))
    return money


def _aging_table(board: Dashboard) -> Table:
    aging = _table(
        "Receivables aging (days past due)",
        ("bucket", "amount", "invoices"),
        right=("amount", "invoices"),
    )
    for bucket in board.total.aging:
        aging.add_row(Text(bucket.label), Text(rupiah(bucket.amount)), Text(str(bucket.invoices)))
    aging.add_section()
    aging.add_row(Text("total"), Text(rupiah(board.total.outstanding)), Text(""))
    return aging


def _expiring_part(board: Dashboard) -> Table | Text:
    if not board.expiring:
        return Text("No account expires within 7 days.")
    soon = _table(
        "Expiring within 7 days (last paid day; negative days left: in grace)",
        ("customer", "name", "router", "profile", "expires", "days left"),
        right=("days left",),
    )
    for row in board.expiring:
        days = (row.expires - board.as_of).days if row.expires else None
        cells = [
            row.id,
            row.name,
            row.router,
            row.profile or "",
            row.expires.isoformat() if row.expires else "",
            _opt(days),
        ]
        soon.add_row(*(Text(cell) for cell in cells))
    return soon


def _overdue_parts(board: Dashboard) -> list:
    if not board.overdue:
        return []
    overdue = _table(
        "Most overdue",
        ("customer", "router", "owes", "oldest due", "days", "reason"),
        right=("owes", "days"),
    )
    for row in board.overdue[:SHOWN_OVERDUE]:
        cells = [
            row.customer,
            row.router,
            rupiah(row.outstanding),
            row.oldest_due.isoformat(),
            str(row.days_past_due),
            row.reason,
        ]
        overdue.add_row(*(Text(cell) for cell in cells))
    parts: list = [overdue]
    hidden = len(board.overdue) - SHOWN_OVERDUE
    if hidden > 0:
        parts.append(Text(f"… and {hidden} more: isk receivables"))
    return parts


def _suspended(counts: CustomerCounts) -> str:
    if not counts.suspended:
        return "0"
    return (
        f"{counts.suspended} ({counts.suspended_unpaid} unpaid, {counts.suspended_manual} manual"
        + (f", {counts.on_hold} on hold)" if counts.on_hold else ")")
    )


def _opt(value: object) -> str:
    return "–" if value is None else str(value)


def _table(title: str, columns: Sequence[str], right: Sequence[str] = ()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table
