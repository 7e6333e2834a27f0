"""The RADIUS store in `isk plan`/`isk apply` (one more target, `radius`), and
`isk radius plan|apply` for the store alone (docs/radius.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace

import click

from isk_reconcile.cli.context import Context, current, pass_context, say
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError, RouterError
from isk_reconcile.gitops.history import head_commit
from isk_reconcile.radius.baseline import check_baseline
from isk_reconcile.radius.desired import radius_routers
from isk_reconcile.radius.plan import RADIUS_TARGET
from isk_reconcile.radius.run import StoreApply, apply_radius, plan_radius
from isk_reconcile.reconcile.plan_types import Plan, RouterPlan
from isk_reconcile.render.plan_json import render_json
from isk_reconcile.render.plan_markdown import render_markdown
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.routeros.client import RouterClient
from isk_reconcile.routeros.fleet import on_routers
from isk_reconcile.state.routers import Router


def check_baselines(ctx: Context, routers: Sequence[Router]) -> int:
    """`isk router check` for RADIUS routers: the /radius, /ppp aaa and /radius incoming
    settings, with the commands that fix what is missing. Returns how many failed."""
    wanted = [router for router in routers if router.backend == "radius"]
    if not wanted:
        return 0
    outcomes = on_routers(wanted, RouterClient.radius_config, os.environ)
    failed = 0
    for router in wanted:
        outcome = outcomes[router.name]
        if isinstance(outcome, RouterError):
            continue  # already reported by the reachability check
        secret = os.environ.get(router.radius_secret_variable)
        findings = check_baseline(router, ctx.state.settings.radius.servers, outcome, secret)
        if not findings:
            say(f"{router.name}: RADIUS baseline ok")
            continue
        failed += 1
        say(f"{router.name}: RADIUS baseline incomplete; fix on the router with:")
        for finding in findings:
            click.echo(f"  # {current().text(finding.problem)}")
            click.echo(f"  {finding.fix}")  # a RouterOS command
    return failed


def wants_store(ctx: Context, routers: Sequence[str]) -> bool:
    """The store is planned with every router, or with a RADIUS router named by --router."""
    served = {router.name for router in radius_routers(ctx.state)}
    return bool(served) and (not routers or bool(served & set(routers)))


def with_store(ctx: Context, plan: Plan, routers: Sequence[str], adopt: bool) -> Plan:
    """`plan` with the store's target appended when the repository has RADIUS routers."""
    if not wants_store(ctx, routers):
        return plan
    store = plan_radius(ctx.state, ctx.as_of, adopt=adopt, environ=os.environ)
    return replace(plan, routers=(*plan.routers, store))


def split_store(plan: Plan) -> tuple[Plan, RouterPlan | None]:
    """(the routers' plan, the store's plan or None)."""
    store = next((item for item in plan.routers if item.target == RADIUS_TARGET), None)
    if store is None:
        return plan, None
    rest = tuple(item for item in plan.routers if item.target != RADIUS_TARGET)
    return replace(plan, routers=rest), store


def apply_store(ctx: Context, store: RouterPlan, *, force: bool, adopt: bool, saved: bool) -> bool:
    """Apply the store's plan; print what happened; True when all went well."""
    if store.status == "error":
        say(f"error: {RADIUS_TARGET}: {store.error}", err=True)
        return False
    if not [change for change in store.changes if change.applies]:
        say(f"{RADIUS_TARGET}: no changes")
        return True
    result = apply_radius(
        ctx.state,
        ctx.as_of,
        adopt=adopt,
        force=force,
        environ=os.environ,
        expect=store.fingerprint if saved else None,
    )
    show_store_result(result)
    return result.ok


def show_store_result(result: StoreApply) -> None:
    if result.refused:
        say(f"error: {RADIUS_TARGET}: {result.refused}", err=True)
        return
    if result.written or result.error is None:
        verdict = "NOT converged" if result.error else "verified"
        say(f"{RADIUS_TARGET}: {result.written} change(s) applied, {verdict}")
    if result.error:
        say(f"error: {RADIUS_TARGET}: {result.error}", err=True)
    for cut in result.disconnects:
        if cut.ok:
            say(f"{RADIUS_TARGET}: session {cut.username} disconnected")
        else:
            detail = f" ({cut.detail})" if cut.detail else ""
            click.echo(
                f"error: {RADIUS_TARGET}: disconnect {cut.username}: {cut.outcome}{detail}",
                err=True,
            )


@main.group("radius")
def radius_group() -> None:
    """The FreeRADIUS store of the RADIUS routers (docs/radius.md)."""


@radius_group.command("plan")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--adopt", is_flag=True, help="Take over unmanaged users whose names collide.")
@pass_context
def radius_plan(ctx: Context, fmt: str, detailed_exitcode: bool, adopt: bool) -> None:
    """Show the changes that would make the RADIUS store match the repository."""
    if not radius_routers(ctx.state):
        raise IskError("no router has backend: radius in state/routers.yaml")
    store = plan_radius(ctx.state, ctx.as_of, adopt=adopt, environ=os.environ)
    plan = Plan(ctx.as_of, head_commit(ctx.repo), (store,))
    if fmt == "json":
        click.echo(render_json(plan), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plan, language=ctx.language), nl=False)
    else:
        click.echo(render_text(plan, ctx.language).plain, nl=False)
    if store.status == "error":
        say(f"error: {RADIUS_TARGET}: {store.error}", err=True)
        raise click.exceptions.Exit(1)
    if detailed_exitcode and any(change.applies for change in store.changes):
        raise click.exceptions.Exit(2)


@radius_group.command("apply")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (for CI).")
@click.option("--force", is_flag=True, help="Apply even when the plan is unsafe.")
@click.option("--adopt", is_flag=True, help="Take over unmanaged users whose names collide.")
@pass_context
def radius_apply(ctx: Context, auto_approve: bool, force: bool, adopt: bool) -> None:
    """Plan, show, confirm, apply the RADIUS store in one transaction, verify, and
    disconnect the sessions whose access or package changed."""
    if not radius_routers(ctx.state):
        raise IskError("no router has backend: radius in state/routers.yaml")
    store = plan_radius(ctx.state, ctx.as_of, adopt=adopt, environ=os.environ)
    click.echo(render_text(Plan(ctx.as_of, None, (store,)), ctx.language).plain, nl=False)
    changes = store.status != "error" and any(change.applies for change in store.changes)
    if changes and not auto_approve:
        if not sys.stdin.isatty():
            raise IskError(
                "refusing to apply without confirmation: no terminal (use --auto-approve)"
            )
        if not click.confirm("Apply these changes?", default=False):
            raise IskError("apply cancelled")
    if not apply_store(ctx, store, force=force, adopt=adopt, saved=False):
        raise click.exceptions.Exit(1)
