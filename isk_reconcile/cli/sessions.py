"""`isk sessions`: who is online now, with each customer's standing beside the session."""

from __future__ import annotations

import os

import click

from isk_reconcile.cli.context import Context, _, pass_context
from isk_reconcile.cli.customers import access_style, emit, format_option, no_such, standing_style
from isk_reconcile.cli.root import main
from isk_reconcile.errors import RouterError
from isk_reconcile.render.tables import Column

COLUMNS = (
    Column("router", give_way=2),
    Column("customer"),
    Column("username"),
    Column("online", style=lambda v: "green" if v else "red"),
    Column("address"),
    Column("caller_id", "caller-id", give_way=5),
    Column("uptime", give_way=4),
    Column("standing", style=standing_style),
    Column("access", style=access_style, give_way=3),
    Column("note", style=lambda v: "bold red" if v else None),
)


@main.command("sessions")
@click.option("--router", "routers", multiple=True, help="Only this router (repeatable).")
@click.option("--customer", "customer_id", metavar="ID", help="Only this customer.")
@format_option()
@pass_context
def sessions(ctx: Context, routers: tuple[str, ...], customer_id: str | None, fmt: str) -> None:
    """Who is online now (/ppp/active), joined with each customer's standing:
    "suspended but online" and "paid but offline" stand out. Exit 1 if a router failed."""
    from isk_reconcile.billing.engine import standings
    from isk_reconcile.cli.progress import reading_routers
    from isk_reconcile.reconcile.sessions import read_live, session_rows
    from isk_reconcile.routeros.fleet import select_routers

    state = ctx.state
    names = [router.name for router in select_routers(state, routers)]
    if customer_id is not None:
        found = state.customers.get(customer_id)
        if found is None:
            raise no_such("customer", customer_id, state.customers)
        names = [found.router]
    with reading_routers(ctx, len(names)) as progress:
        live = read_live(state, names, os.environ, on_result=progress)
    rows = session_rows(state, standings(state, ctx.as_of), live, customer_id)
    online = sum(1 for row in rows if row.online)
    title = _("Sessions as of %(day)s: %(n)s online", day=ctx.tr.day(ctx.as_of), n=online)
    emit(ctx, (row.as_row() for row in rows), COLUMNS, fmt, title=title)
    failed = [read for read in live.values() if isinstance(read, RouterError)]
    for problem in failed:
        click.echo(_("error: %(problem)s", problem=ctx.tr.text(str(problem))), err=True)
    if failed:  # after everything was shown, like `isk status`
        raise click.exceptions.Exit(1)
