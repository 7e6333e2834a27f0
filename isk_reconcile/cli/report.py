"""`isk export --xlsx FILE` and `isk report --html DIR`: the dashboard as files.

Both build the same `Dashboard` as `isk status` (routers read unless --no-routers),
write the file, and then, like status, exit 1 if a router could not be read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from isk_reconcile.cli.context import Context, _, pass_context
from isk_reconcile.cli.root import main
from isk_reconcile.cli.status import build_dashboard, fail_if_unreachable
from isk_reconcile.errors import IskError


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """A file that cannot be written is the user's to fix: one line, not a traceback."""
    try:
        yield
    except OSError as problem:
        reason = problem.strerror or type(problem).__name__
        raise IskError(f"cannot write {problem.filename or path}: {reason}") from None


ROUTER_OPTION = click.option(
    "--router", "routers", multiple=True, help="Only this router (repeatable)."
)
NO_ROUTERS_OPTION = click.option(
    "--no-routers", is_flag=True, help="Billing figures only: do not contact routers."
)


@main.command("export")
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the Excel workbook here (overwritten).",
)
@ROUTER_OPTION
@NO_ROUTERS_OPTION
@pass_context
def export(ctx: Context, xlsx_path: Path, routers: tuple[str, ...], no_routers: bool) -> None:
    """Excel workbook: Summary, Customers, Invoices, Payments, Receivables, Monthly."""
    from isk_reconcile.render.xlsx import write_workbook

    board = build_dashboard(ctx, routers, read_routers=not no_routers)
    settings = ctx.settings
    with writing(xlsx_path):
        write_workbook(board, xlsx_path, language=settings.language, isp_name=settings.isp.name)
    click.echo(
        _(
            "wrote %(path)s (%(customers)s customers, %(invoices)s invoices, "
            "%(entries)s ledger entries, as of %(day)s)",
            path=xlsx_path,
            customers=len(board.customers),
            invoices=len(board.invoices),
            entries=len(board.payments),
            day=ctx.tr.day(board.as_of),
        )
    )
    fail_if_unreachable(board)


@main.command("report")
@click.option(
    "--html",
    "html_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Write the static dashboard (index.html) into this directory.",
)
@ROUTER_OPTION
@NO_ROUTERS_OPTION
@pass_context
def report(ctx: Context, html_dir: Path, routers: tuple[str, ...], no_routers: bool) -> None:
    """Static, self-contained HTML dashboard (no network fetches), e.g. for a CI artifact."""
    from isk_reconcile.render.html import write_site

    online: list = []  # who is online, filled when the routers are read
    board = build_dashboard(ctx, routers, read_routers=not no_routers, sessions=online)
    with writing(html_dir):
        settings = ctx.settings
        page = write_site(
            board,
            html_dir,
            language=settings.language,
            isp_name=settings.isp.name,
            sessions=None if no_routers else online,
        )
    click.echo(_("wrote %(path)s (as of %(day)s)", path=page, day=ctx.tr.day(board.as_of)))
    fail_if_unreachable(board)
