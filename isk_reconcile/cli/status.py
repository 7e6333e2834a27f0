"""`isk status`: the management dashboard in the terminal (or as JSON/CSV).

`build_dashboard` is the shell around `report.dashboard`: billing from the repo, and,
unless told not to, one connection per router (concurrently) for identity, version,
uptime, sessions and the drift count. `isk export` and `isk report` use it too, so all
three show the same figures.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Mapping, Sequence

import click
from rich.console import Console
from rich.table import Table

from isk_reconcile.billing import receivables, rupiah, standings
from isk_reconcile.cli.context import Context, pass_context
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.report import (
    SUMMARY_COLUMNS,
    CustomerCounts,
    Dashboard,
    RouterInfo,
    as_dict,
    dashboard,
    summary_rows,
)

SHOWN_OVERDUE = 10


def _read_router(client) -> tuple:
    """Everything status needs from one session: two pipelined windows."""
    return client.system(), client.read()


def read_live(
    ctx: Context, names: Sequence[str], environ: Mapping[str, str], by_customer: Mapping
) -> tuple[dict[str, RouterInfo | RouterError], dict[str, int] | None, list[str]]:
    """Per router: RouterInfo or its error; the drift counts (None when unknown); notes."""
    from isk_reconcile.routeros.fleet import on_routers

    state = ctx.state
    routers = [state.routers[name] for name in names]
    progress = _progress(ctx)
    outcomes = on_routers(routers, _read_router, environ, on_result=progress)
    info: dict[str, RouterInfo | RouterError] = {}
    live = {}
    for name, outcome in outcomes.items():
        if isinstance(outcome, RouterError):
            info[name] = outcome
            live[name] = outcome
            continue
        system, observed = outcome
        live[name] = observed
        info[name] = RouterInfo(
            identity=system.identity,
            version=system.version,
            uptime=system.uptime,
            active_sessions=len(observed.active),
        )
    notes: list[str] = []
    drift: dict[str, int] | None = None
    if any(not isinstance(value, RouterError) for value in live.values()):
        try:
            drift = _drift(ctx, live, environ, by_customer)
        except IskError as problem:
            notes.append(f"drift not counted: {problem}")
    return info, drift, notes


def _drift(
    ctx: Context, live: Mapping, environ: Mapping[str, str], by_customer: Mapping
) -> dict[str, int]:
    from isk_reconcile.apply import decrypt_passwords, drift_count
    from isk_reconcile.plan import make_plan

    state = ctx.state
    passwords = decrypt_passwords(state, environ)
    plan = make_plan(state, ctx.as_of, by_customer, live, passwords=passwords)
    return drift_count(plan)


def _progress(ctx: Context):
    """Plain progress lines on stderr (stdout stays clean for --format json/csv)."""
    if not sys.stderr.isatty() and not ctx.verbose:
        return None

    def report(name: str, outcome: object) -> None:
        word = f"unreachable: {outcome}" if isinstance(outcome, RouterError) else "read"
        click.echo(f"{name}: {word}", err=True)

    return report


def build_dashboard(
    ctx: Context,
    routers: Sequence[str] = (),
    *,
    read_routers: bool = True,
    environ: Mapping[str, str] = os.environ,
) -> Dashboard:
    from isk_reconcile.apply import repo_commit
    from isk_reconcile.routeros.fleet import select_routers

    state = ctx.state
    names = [router.name for router in select_routers(state, routers)]
    by_customer = standings(state, ctx.as_of)
    owed = receivables(state, ctx.as_of, by_customer)
    info = drift = None
    notes: list[str] = []
    if read_routers:
        info, drift, notes = read_live(ctx, names, environ, by_customer)
    return dashboard(
        state,
        ctx.as_of,
        by_customer,
        owed,
        info,
        drift,
        only=names if routers else None,
        commit=repo_commit(ctx.repo),
        notes=notes,
    )


def fail_if_unreachable(board: Dashboard) -> None:
    """Exit 1 (SPEC §6) after everything was shown, when a router could not be read."""
    down = board.unreachable
    if down:
        names = ", ".join(status.name for status in down)
        click.echo(f"error: {len(down)} router(s) unreachable: {names}", err=True)
        raise click.exceptions.Exit(1)


def write_csv(rows: Sequence[Mapping], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})


@main.command("status")
@click.option("--router", "routers", multiple=True, help="Only this router (repeatable).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json (isk-status/1) or csv (one row per router + total) for machines.",
)
@click.option("--no-routers", is_flag=True, help="Billing figures only: do not contact routers.")
@pass_context
def status(ctx: Context, routers: tuple[str, ...], output: str, no_routers: bool) -> None:
    """Dashboard: routers, customers by standing, this month's money, receivables, expiring."""
    board = build_dashboard(ctx, routers, read_routers=not no_routers)
    if output == "json":
        click.echo(json.dumps(as_dict(board), indent=2, ensure_ascii=False))
    elif output == "csv":
        write_csv(summary_rows(board), SUMMARY_COLUMNS)
    else:
        show_table(board, _console(ctx))
    fail_if_unreachable(board)


def _console(ctx: Context) -> Console:
    terminal = sys.stdout.isatty()
    return Console(
        no_color=not ctx.color,
        highlight=False,
        width=None if terminal else 160,
        force_terminal=None if terminal else False,
    )


def _suspended(counts: CustomerCounts) -> str:
    if not counts.suspended:
        return "0"
    return (
        f"{counts.suspended} ({counts.suspended_unpaid} unpaid, {counts.suspended_manual} manual)"
    )


def _opt(value: object) -> str:
    return "–" if value is None else str(value)


def show_table(board: Dashboard, console: Console) -> None:
    commit = board.commit[:12] if board.commit else "not a git repository"
    console.print(
        f"[bold]ISP status[/bold] as of {board.as_of.isoformat()} · month {board.month}"
        f" · commit {commit}"
    )

    live = Table(title="Routers", title_justify="left", show_lines=False)
    for column in ("router", "state", "identity", "version", "uptime", "sessions", "drift"):
        live.add_column(column, justify="right" if column in ("sessions", "drift") else "left")
    for status in board.routers:
        if status.reachable is None:
            state = "[dim]not read[/dim]"
        elif status.reachable:
            state = "[green]reachable[/green]"
        else:
            state = f"[red]unreachable: {status.error}[/red]"
        info = status.info
        live.add_row(
            status.name,
            state,
            info.identity if info else "",
            info.version if info else "",
            info.uptime if info else "",
            _opt(info.active_sessions if info else None),
            _opt(status.drift),
        )
    live.add_section()
    live.add_row("total", "", "", "", "", _opt(board.active_sessions), _opt(board.drift))
    console.print(live)

    money = Table(title="Customers and money", title_justify="left")
    columns = ["router", "customers", "active", "suspended", "free", "terminated", "expiring"]
    columns += [f"billed {board.month}", "collected", "credits", "receivables"]
    for index, column in enumerate(columns):
        money.add_column(column, justify="left" if index == 0 else "right")
    rows = [(status.name, status.figures) for status in board.routers]
    for index, (name, figures) in enumerate([*rows, ("total", board.total)]):
        counts = figures.customers
        if index == len(rows):
            money.add_section()
        money.add_row(
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
            rupiah(figures.outstanding),
        )
    console.print(money)

    aging = Table(title="Receivables aging (days past due)", title_justify="left")
    aging.add_column("bucket")
    aging.add_column("amount", justify="right")
    aging.add_column("invoices", justify="right")
    for bucket in board.total.aging:
        aging.add_row(bucket.label, rupiah(bucket.amount), str(bucket.invoices))
    aging.add_section()
    aging.add_row("total", rupiah(board.total.outstanding), "")
    console.print(aging)

    expiring = board.expiring
    if expiring:
        soon = Table(title="Expiring within 7 days", title_justify="left")
        for column in ("customer", "name", "router", "profile", "paid through", "days left"):
            soon.add_column(column, justify="right" if column == "days left" else "left")
        for row in expiring:
            days = (row.expires - board.as_of).days if row.expires else None
            soon.add_row(
                row.id,
                row.name,
                row.router,
                row.profile or "",
                row.expires.isoformat() if row.expires else "",
                _opt(days),
            )
        console.print(soon)
    else:
        console.print("No account expires within 7 days.")

    if board.overdue:
        overdue = Table(title="Most overdue", title_justify="left")
        for column in ("customer", "router", "owes", "oldest due", "days", "reason"):
            overdue.add_column(column, justify="right" if column in ("owes", "days") else "left")
        for row in board.overdue[:SHOWN_OVERDUE]:
            overdue.add_row(
                row.customer,
                row.router,
                rupiah(row.outstanding),
                row.oldest_due.isoformat(),
                str(row.days_past_due),
                row.reason,
            )
        console.print(overdue)
        hidden = len(board.overdue) - SHOWN_OVERDUE
        if hidden > 0:
            console.print(f"… and {hidden} more: isk receivables")
    for note in board.notes:
        console.print(f"note: {note}")
