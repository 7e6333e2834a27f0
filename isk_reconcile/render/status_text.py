"""`isk status` for people: the dashboard as rich tables (plain text off a terminal).
Every cell is a Text, so customer text is never read as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.billing.report_types import CustomerCounts, Dashboard
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.render.tables import render_rich
from isk_reconcile.untrusted import visible

SHOWN_OVERDUE = 10


def render_status(
    board: Dashboard,
    *,
    color: bool = False,
    language: str = "en",
    isp_name: str = "",
    fast: bool = True,
) -> str:
    """The dashboard for people, in `language`, headed by the ISP's name when set
    (`fast`: as render_rich's)."""
    tr = translator(language)
    commit = board.commit[:12] if board.commit else tr.message("not a git repository")
    heading = tr.message(
        "ISP status as of %(day)s · month %(month)s · commit %(commit)s",
        day=tr.day(board.as_of),
        month=board.month,
        commit=commit,
    )
    parts: list = [Text(visible(isp_name), style="bold")] if isp_name else []
    parts += [
        Text(heading),
        _routers_table(board, tr),
        _money_table(board, tr),
        _aging_table(board, tr),
        _expiring_part(board, tr),
        *_overdue_parts(board, tr),
    ]
    parts += [Text(f"{tr.message('note')}: {tr.text(note)}") for note in board.notes]
    return render_rich(Group(*parts), color=color, fast=fast)


def _routers_table(board: Dashboard, tr: Translator) -> Table:
    live = _table(
        tr,
        "Routers",
        ("router", "state", "identity", "version", "uptime", "sessions", "drift"),
        right=("sessions", "drift"),
    )
    for status in board.routers:
        if status.reachable is None:
            state = Text(tr.message("not read"), style="dim")
        elif status.reachable:
            state = Text(tr.message("reachable"), style="green")
        else:
            error = visible(tr.text(status.error or ""))
            state = Text(f"{tr.message('unreachable')}: {error}", style="red")
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
        Text(tr.message("total")),
        Text(""),
        Text(""),
        Text(""),
        Text(""),
        Text(_opt(board.active_sessions)),
        Text(_opt(board.drift)),
    )
    return live


def _money_table(board: Dashboard, tr: Translator) -> Table:
    money_columns = ["router", "customers", "active", "suspended", "free", "terminated"]
    money_columns += ["expiring", f"billed {board.month}", "collected", "credits"]
    money_columns += ["written off", "receivables"]
    money = _table(tr, "Customers and money", money_columns, right=money_columns[1:])
    rows = [(status.name, status.figures) for status in board.routers]
    for index, (name, figures) in enumerate([*rows, (tr.message("total"), board.total)]):
        counts = figures.customers
        if index == len(rows):
            money.add_section()
        cells = [
            name,
            str(counts.total),
            str(counts.active),
            _suspended(counts, tr),
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


def _aging_table(board: Dashboard, tr: Translator) -> Table:
    aging = _table(
        tr,
        "Receivables aging (days past due)",
        ("bucket", "amount", "invoices"),
        right=("amount", "invoices"),
    )
    for bucket in board.total.aging:
        aging.add_row(Text(bucket.label), Text(rupiah(bucket.amount)), Text(str(bucket.invoices)))
    aging.add_section()
    aging.add_row(Text(tr.message("total")), Text(rupiah(board.total.outstanding)), Text(""))
    return aging


def _expiring_part(board: Dashboard, tr: Translator) -> Table | Text:
    expiring = board.expiring  # a property that sorts 10,000 rows: once
    if not expiring:
        return Text(tr.message("No account expires within 7 days."))
    soon = _table(
        tr,
        "Expiring within 7 days (last paid day; negative days left: in grace)",
        ("customer", "name", "router", "profile", "expires", "days left"),
        right=("days left",),
    )
    for row in expiring:
        days = (row.expires - board.as_of).days if row.expires else None
        cells = [
            row.id,
            row.name,
            row.router,
            row.profile or "",
            tr.cell_day(row.expires) if row.expires else "",
            _opt(days),
        ]
        soon.add_row(*(Text(cell) for cell in cells))
    return soon


def _overdue_parts(board: Dashboard, tr: Translator) -> list:
    if not board.overdue:
        return []
    overdue = _table(
        tr,
        "Most overdue",
        ("customer", "router", "owes", "oldest due", "days", "reason"),
        right=("owes", "days"),
    )
    for row in board.overdue[:SHOWN_OVERDUE]:
        cells = [
            row.customer,
            row.router,
            rupiah(row.outstanding),
            tr.cell_day(row.oldest_due),
            str(row.days_past_due),
            tr.text(row.reason),
        ]
        overdue.add_row(*(Text(cell) for cell in cells))
    parts: list = [overdue]
    hidden = len(board.overdue) - SHOWN_OVERDUE
    if hidden > 0:
        parts.append(Text(tr.message("… and %(n)s more: isk receivables", n=hidden)))
    return parts


def _suspended(counts: CustomerCounts, tr: Translator) -> str:
    if not counts.suspended:
        return "0"
    unpaid = tr.message("%(n)s unpaid", n=counts.suspended_unpaid)
    manual = tr.message("%(n)s manual", n=counts.suspended_manual)
    held = ", " + tr.message("%(n)s on hold", n=counts.on_hold) if counts.on_hold else ""
    return f"{counts.suspended} ({unpaid}, {manual}{held})"


def _opt(value: object) -> str:
    return "–" if value is None else str(value)


def _table(tr: Translator, title: str, columns: Sequence[str], right: Sequence[str] = ()) -> Table:
    table = Table(title=tr.message(title), title_justify="left", title_style="bold")
    for column in columns:
        # tr.text: `billed 2026-11` matches the catalog's `billed %(month)s`
        table.add_column(tr.text(column), justify="right" if column in right else "left")
    return table
