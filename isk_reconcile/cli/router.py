"""`isk router check [R]` and `isk router reboot R --yes`."""

from __future__ import annotations

import sys

import click

from isk_reconcile.cli.context import Context, _, current, pass_context
from isk_reconcile.cli.radius import check_baselines
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.routeros.connection import connect
from isk_reconcile.routeros.fleet import check_all, select_routers
from isk_reconcile.routeros.types import SystemInfo
from isk_reconcile.state.policy import transport_problems
from isk_reconcile.untrusted import visible


@main.group("router")
def router_group() -> None:
    """Test API reachability and credentials; reboot a router."""


@router_group.command("check")
@click.argument("name", required=False)
@pass_context
def check(ctx: Context, name: str | None) -> None:
    """Connect and log in to every router (or NAME), concurrently; show identity,
    version and uptime. Exits 1 when any router fails."""
    routers = select_routers(ctx.state, [name] if name else None)
    if not routers:
        raise IskError("no routers in state/routers.yaml")
    for router in routers:
        for problem in transport_problems(router):
            click.echo(current().text(f"warning: {router.name}: {problem}"), err=True)
    interactive = sys.stderr.isatty()
    finished = 0

    def progress(router: str, outcome: SystemInfo | RouterError) -> None:
        nonlocal finished
        finished += 1
        if interactive:
            status = "failed" if isinstance(outcome, RouterError) else "ok"
            click.echo(f"[{finished}/{len(routers)}] {router} {status}", err=True)

    outcomes = check_all(routers, on_result=progress)
    width = max(len(router.name) for router in routers)
    failed = 0
    for router in routers:
        outcome = outcomes[router.name]
        where = f"{router.host}:{router.api_port}{' tls' if router.tls else ''}"
        if isinstance(outcome, RouterError):
            failed += 1
            reason = visible(current().text(str(outcome).removeprefix(f"{router.name}: ")))
            mark = click.style("FAILED", fg="red") if ctx.color else "FAILED"
            click.echo(f"{router.name:<{width}}  {mark}  {reason}")
        else:
            mark = click.style("ok", fg="green") if ctx.color else "ok"
            click.echo(
                f"{router.name:<{width}}  {mark}      identity {visible(outcome.identity)}, "
                f"RouterOS {visible(outcome.version)}, uptime {visible(outcome.uptime)} ({where})"
            )
    failed_baseline = check_baselines(ctx, routers)  # RADIUS routers' /radius settings
    if failed:
        raise IskError(
            f"{failed} of {len(routers)} router{'s' if len(routers) != 1 else ''} failed"
        )
    if failed_baseline:
        raise IskError(f"{failed_baseline} RADIUS router(s) miss baseline settings")


@router_group.command("reboot")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really reboot (required).")
@pass_context
def reboot(ctx: Context, name: str, yes: bool) -> None:
    """Reboot router NAME (its PPPoE customers lose their sessions)."""
    (router,) = select_routers(ctx.state, [name])
    if not yes:
        raise IskError(f"refusing to reboot {name} without --yes (all its sessions will drop)")
    with connect(router) as client:
        client.reboot()
    click.echo(_("%(router)s: reboot requested", router=name))
