"""`isk status`: the management dashboard in the terminal (or as JSON/CSV).

`build_dashboard` is the shell around `report.dashboard`: billing from the repo, and,
unless told not to, one connection per router (concurrently) for identity, version,
uptime, sessions and the drift count. `isk export` and `isk report` use it too, so all
three show the same figures.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import click
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from isk_reconcile.billing.engine import receivables, rupiah, standings
from isk_reconcile.billing.report import (
    SUMMARY_COLUMNS,
    CustomerCounts,
    Dashboard,
    RouterInfo,
    as_dict,
    dashboard,
    drifted_entries,
    summary_rows,
)
from isk_reconcile.cli.context import Context, pass_context
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.render.tables import render_csv, render_rich

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
    with reading_routers(ctx, len(routers)) as progress:
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
            drift = _drift(ctx, live, environ, by_customer, notes)
        except IskError as problem:
            notes.append(f"drift not counted: {problem}")
    return info, drift, notes


def _drift(
    ctx: Context,
    live: Mapping,
    environ: Mapping[str, str],
    by_customer: Mapping,
    notes: list[str],
) -> dict[str, int]:
    from isk_reconcile.reconcile.apply import decrypt_desired
    from isk_reconcile.reconcile.plan import make_plan

    state = ctx.state
    # Only the passwords desired on the routers read; one that does not decrypt leaves
    # only its router's drift uncounted (with a note naming the customer).
    passwords, failures = decrypt_desired(state, by_customer, list(live), environ)
    notes.extend(f"drift not counted: {name}: {problem}" for name, problem in failures.items())
    live = {
        name: RouterError(name, failures[name]) if name in failures else outcome
        for name, outcome in live.items()
    }
    plan = make_plan(state, ctx.as_of, by_customer, live, passwords=passwords)
    return drifted_entries(plan)


@contextmanager
def reading_routers(ctx: Context, total: int) -> Iterator[Callable[[str, object], None]]:
    """One plain line per router read, on stderr (stdout stays clean for json/csv),
    worded like `isk plan`'s; on a terminal also a spinner until every router answered."""
    colour = ctx.color and sys.stderr.isatty()

    def line(name: str, outcome: object) -> None:
        failed = isinstance(outcome, RouterError)
        click.secho(
            f"read {name}: {'failed' if failed else 'ok'}",
            err=True,
            fg=("red" if failed else None) if colour else None,
            dim=colour and not failed,
        )

    if not sys.stderr.isatty() or total == 0:
        yield line
        return
    console = Console(
        stderr=True,
        no_color=not ctx.color,
        color_system="auto" if ctx.color else None,
        highlight=False,
    )
    done: list[str] = []
    with console.status(f"reading {total} router(s) ...") as spinner:

        def report(name: str, outcome: object) -> None:
            done.append(name)
            console.print(
                f"read {name}: {'failed' if isinstance(outcome, RouterError) else 'ok'}",
                style=("red" if isinstance(outcome, RouterError) else "dim") if colour else None,
                markup=False,
            )
            spinner.update(f"reading routers: {len(done)}/{total} read ...")

        yield report


def build_dashboard(
    ctx: Context,
    routers: Sequence[str] = (),
    *,
    read_routers: bool = True,
    environ: Mapping[str, str] = os.environ,
) -> Dashboard:
    from isk_reconcile.gitops.history import head_commit
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
        commit=head_commit(ctx.repo),
        notes=notes,
    )


def fail_if_unreachable(board: Dashboard) -> None:
    """Exit 1 (SPEC §6) after everything was shown, when a router could not be read."""
    down = board.unreachable
    if down:
        names = ", ".join(status.name for status in down)
        click.echo(f"error: {len(down)} router(s) unreachable: {names}", err=True)
        raise click.exceptions.Exit(1)


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
        click.echo(render_csv(summary_rows(board), SUMMARY_COLUMNS), nl=False)
    else:
        click.echo(render_status(board, color=ctx.color and sys.stdout.isatty()), nl=False)
    fail_if_unreachable(board)


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


def render_status(board: Dashboard, *, color: bool = False) -> str:
    """The dashboard for people. Every cell is a Text, so customer text is never markup."""
    parts: list = []
    commit = board.commit[:12] if board.commit else "not a git repository"
    parts.append(
        Text(f"ISP status as of {board.as_of.isoformat()} · month {board.month} · commit {commit}")
    )

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
            state = Text(f"unreachable: {status.error}", style="red")
        info = status.info
        live.add_row(
            Text(status.name),
            state,
            Text(info.identity if info else ""),
            Text(info.version if info else ""),
            Text(info.uptime if info else ""),
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
    parts.append(live)

    money_columns = ["router", "customers", "active", "suspended", "free", "terminated"]
    money_columns += [
        "expiring",
        f"billed {board.month}",
        "collected",
        "credits",
        "written off",
        "receivables",
    ]
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
    parts.append(money)

    aging = _table(
        "Receivables aging (days past due)",
        ("bucket", "amount", "invoices"),
        right=("amount", "invoices"),
    )
    for bucket in board.total.aging:
        aging.add_row(Text(bucket.label), Text(rupiah(bucket.amount)), Text(str(bucket.invoices)))
    aging.add_section()
    aging.add_row(Text("total"), Text(rupiah(board.total.outstanding)), Text(""))
    parts.append(aging)

    if board.expiring:
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
        parts.append(soon)
    else:
        parts.append(Text("No account expires within 7 days."))

    if board.overdue:
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
        parts.append(overdue)
        hidden = len(board.overdue) - SHOWN_OVERDUE
        if hidden > 0:
            parts.append(Text(f"… and {hidden} more: isk receivables"))
    for note in board.notes:
        parts.append(Text(f"note: {note}"))
    return render_rich(Group(*parts), color=color)
