"""`isk status`: the management dashboard in the terminal (or as JSON/CSV).

`build_dashboard` is the shell around `billing.report`: billing from the repo, and,
unless told not to, one connection per router (concurrently) for identity, version,
uptime, sessions and the drift count. `isk export` and `isk report` use it too, so all
three show the same figures.

The billing figures come from the dashboard cache (`billing/dashcache.py`) when the
repository's files, the day and the routers shown are those they were computed for: a
hit needs no State (`status --no-routers` reads the fingerprint, the cache and
settings.yaml), and the State is loaded only for what needs it (reading routers, drift,
the workbook's lists of every invoice and entry). A miss bills every customer as before
and remembers the figures under the fingerprint the State was actually loaded from.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence

import click

from isk_reconcile.billing import report
from isk_reconcile.billing.engine import Standing, standings
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.billing.report import with_live
from isk_reconcile.billing.report_types import Dashboard, RouterInfo
from isk_reconcile.cli.context import Context, _, pass_context
from isk_reconcile.cli.progress import reading_routers
from isk_reconcile.cli.root import main
from isk_reconcile.collector import collector_paused, freeze_if_large
from isk_reconcile.errors import RouterError
from isk_reconcile.render.status_data import SUMMARY_COLUMNS, as_dict, summary_rows
from isk_reconcile.render.status_text import render_status
from isk_reconcile.render.tables import render_csv


def read_live(
    ctx: Context, names: Sequence[str], environ: Mapping[str, str], by_customer: Mapping
) -> tuple[dict[str, RouterInfo | RouterError], dict[str, int] | None, list[str], dict]:
    """Per router: RouterInfo or its error; the drift counts (None when unknown); notes;
    and what each router holds (its LiveState or its error)."""
    # Imported here: `status --no-routers` does without the RouterOS client (issue 12).
    from isk_reconcile.reconcile.status import drift_of, read_routers

    with reading_routers(ctx, len(names)) as progress:
        info, live = read_routers(ctx.state, names, environ, on_result=progress)
    drift, notes = drift_of(ctx.state, ctx.as_of, live, environ, by_customer)
    return info, drift, notes, live


def build_dashboard(
    ctx: Context,
    routers: Sequence[str] = (),
    *,
    read_routers: bool = True,
    environ: Mapping[str, str] = os.environ,
    sessions: list | None = None,
) -> Dashboard:
    """The dashboard; when the routers are read and `sessions` is a list, who is online
    (`reconcile.sessions.session_rows`) is added to it for the HTML page. The billing
    figures come from the dashboard cache when the files and the day are those they were
    computed for (billing/dashcache.py): `status --no-routers` then loads no State."""
    from isk_reconcile.gitops.history import head_commit

    only = None
    if routers:  # checked against routers.yaml: an unknown name is an error
        from isk_reconcile.routeros.fleet import select_routers

        only = [router.name for router in select_routers(ctx.state, routers)]
    board, by_customer = billing_dashboard(ctx, only)
    info = drift = None
    notes: list[str] = []
    if read_routers:
        state = ctx.state
        names = only if only is not None else list(state.routers)
        by_customer = by_customer if by_customer is not None else ctx.standings()
        info, drift, notes, live = read_live(ctx, names, environ, by_customer)
        if sessions is not None:
            from isk_reconcile.reconcile.sessions import session_rows

            sessions.extend(session_rows(state, by_customer, live))
    return with_live(board, info, drift, commit=head_commit(ctx.repo), notes=notes)


def billing_dashboard(
    ctx: Context, only: list[str] | None
) -> tuple[Dashboard, Mapping[str, Standing] | None]:
    """The dashboard's billing figures for the routers `only` (None: all), from the
    dashboard cache, else computed (and remembered); and the standings when they were
    computed here (None on a hit)."""
    from isk_reconcile.billing import dashcache

    as_of = ctx.as_of
    files = ctx.files_now()
    if files is not None:
        # The lists of every invoice want every standing's invoices: billed in one pass
        # (the standings cache would bill each customer on its own).
        found = dashcache.load(
            ctx.repo,
            dashcache.key(files, as_of, only),
            as_of,
            lambda: (ctx.state, standings(ctx.state, as_of)),
        )
        if found is not None:
            return found, None
    state = ctx.state
    by_customer = standings(state, as_of)
    with collector_paused():  # receivables make the unpaid invoices: no cycles (collector.py)
        owed = receivables(state, as_of, by_customer)
        freeze_if_large(len(state.customers) + len(state.ledger))
    board = report.billing_dashboard(state, as_of, by_customer, owed, only=only)
    files = ctx.loaded_files()
    if files is not None:  # only figures of exactly these files are remembered for them
        dashcache.save(ctx.repo, dashcache.key(files, as_of, only), board)
    return board, by_customer


def fail_if_unreachable(board: Dashboard) -> None:
    """Exit 1 (SPEC §6) after everything was shown, when a router could not be read."""
    down = board.unreachable
    if down:
        names = ", ".join(status.name for status in down)
        click.echo(
            _("error: %(n)s router(s) unreachable: %(names)s", n=len(down), names=names), err=True
        )
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
        colour = ctx.color and sys.stdout.isatty()
        isp = ctx.settings.isp.name
        text = render_status(board, color=colour, language=ctx.language, isp_name=isp)
        click.echo(text, nl=False)
    fail_if_unreachable(board)
