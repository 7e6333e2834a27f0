"""`isk plan` and `isk apply` (SPEC §5, §6)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from isk_reconcile.cli.context import Context, _, current, pass_context, today_in
from isk_reconcile.cli.progress import console, reading_routers
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.gitops.base import routers_at
from isk_reconcile.gitops.history import head_commit
from isk_reconcile.reconcile.apply import ApplyReport, run_apply
from isk_reconcile.reconcile.apply import Progress as ApplyProgress
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.reconcile.run import routers_to_read, run_plan
from isk_reconcile.reconcile.trust import for_reading, with_base_connections
from isk_reconcile.render.plan_json import load_plan, render_json
from isk_reconcile.render.plan_markdown import render_markdown
from isk_reconcile.render.plan_text import render_text
from isk_reconcile.routeros.fleet import Underway, select_routers, start_reading
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.untrusted import visible


def make_plan_for(
    ctx: Context, routers: Sequence[str], adopt: bool, *, base: str | None = None
) -> Plan:
    """The plan of the working tree. With `base` (a pull request's plan) each router's
    connection settings come from that commit, and the routers whose settings the change
    touches are skipped; the routers log in as their read-only user where one is named."""
    state, skipped = ctx.state, {}
    if base is not None:
        trusted = with_base_connections(state, routers_at(ctx.repo, base))
        state, skipped = for_reading(trusted.state), trusted.skipped
    names = select_routers(state, routers or None)
    total = sum(1 for router in names if router.name not in skipped)
    reading: list[Underway[LiveState]] = []

    def meanwhile() -> None:  # while a forked child bills (billing.forked)
        reading.append(start_reading(state, routers_to_read(state, routers, skipped)))
        ctx.state.customers_by_router  # noqa: B018 - every customer, built for the plan

    # The work tree's standings (cached): a base only lends connection settings. Billed
    # before the progress spinner's thread starts: billing.forked forks only without one.
    wanted = ctx.standings(meanwhile=meanwhile)
    planning = _("%(n)s/%(n)s router(s) read; planning ...", n=total)
    with reading_routers(ctx, total, then=planning) as on_read:
        plan = run_plan(
            state,
            ctx.as_of,
            routers or None,
            adopt,
            os.environ,
            commit=head_commit(ctx.repo),
            on_read=on_read,
            skipped=skipped,
            wanted=wanted,
            reading=reading[0] if reading else None,
        )
    return _with_store(ctx, plan, routers, adopt)  # the RADIUS store, when routers use it


def _with_store(ctx: Context, plan: Plan, routers: Sequence[str], adopt: bool) -> Plan:
    """cli.radius.with_store, imported only when a router uses RADIUS: a plain plan does
    not load psycopg and the store code (issue 12: start-up time)."""
    if not any(router.backend == "radius" for router in ctx.state.routers.values()):
        return plan
    from isk_reconcile.cli.radius import with_store

    return with_store(ctx, plan, routers, adopt)


def show_plan(ctx: Context, plan: Plan, fmt: str = "text") -> None:
    if fmt == "json":
        click.echo(render_json(plan), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plan, language=ctx.language), nl=False)
    else:
        console(ctx).print(render_text(plan, ctx.language), end="")


def report_router_errors(plan: Plan) -> None:
    for router in plan.routers:
        if router.status == "error":
            problem = visible(current().text(router.error or ""))
            click.echo(_("error: %(problem)s", problem=problem), err=True)


@main.command("plan")
@click.option("--router", "routers", multiple=True, help="Only this router (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan (isk-plan/1 JSON) for `isk apply FILE`.",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--adopt", is_flag=True, help="Take over unmanaged entries whose names collide.")
@click.option(
    "--base",
    metavar="REF",
    help="Connection settings from this trusted commit (pull requests); routers whose "
    "settings the change touches are skipped, not contacted.",
)
@pass_context
def plan_command(
    ctx: Context,
    routers: tuple[str, ...],
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    adopt: bool,
    base: str | None,
) -> None:
    """Show the changes that would make the routers match the repository."""
    plan = make_plan_for(ctx, routers, adopt, base=base)
    if out is not None:
        try:
            out.write_text(render_json(plan, saved=True), encoding="utf-8")
        except OSError as problem:
            reason = problem.strerror or type(problem).__name__
            raise IskError(f"cannot write the plan to {out}: {reason}") from None
    show_plan(ctx, plan, fmt)
    if out is not None:
        click.echo(_("plan saved to %(out)s; apply it with: isk apply %(out)s", out=out), err=True)
    if plan.has_errors:
        report_router_errors(plan)
        raise click.exceptions.Exit(1)
    if detailed_exitcode and plan.has_changes:
        raise click.exceptions.Exit(2)


PLAIN_STEPS_FROM = 40  # writes: below this, a plain-text apply reports only when done


@contextmanager
def apply_progress(ctx: Context) -> Iterator[ApplyProgress]:
    """A bar per router on a terminal; otherwise a plain line at each quarter."""
    if sys.stderr.isatty():
        bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console(ctx, stderr=True),
            transient=False,
        )
        tasks: dict[str, TaskID] = {}  # a bar once a router starts writing (refused: none)

        def bar(router: str, done: int, total: int) -> None:
            if router not in tasks:
                tasks[router] = bars.add_task(router, total=total)
            bars.update(tasks[router], completed=done, total=total)

        with bars:
            yield bar
        return
    shown: dict[str, int] = {}

    def plain(router: str, done: int, total: int) -> None:
        # A line at each quarter of a long apply; a short one just says when it is done.
        long = total >= PLAIN_STEPS_FROM
        step = done * 4 // total if long else (0 if done >= total else -1)
        if shown.get(router, -1) < step:
            shown[router] = step
            click.echo(
                _("%(router)s: %(done)s/%(total)s writes", router=router, done=done, total=total),
                err=True,
            )

    yield plain


def show_report(report: ApplyReport) -> None:
    tr = current()
    for result in report.routers:
        if result.status == "unchanged":
            click.echo(_("%(router)s: no changes", router=result.router))
        elif result.status == "applied":
            verdict = _("verified") if result.ok else _("NOT converged")
            click.echo(
                _(
                    "%(router)s: %(n)s write(s) applied, %(verdict)s",
                    router=result.router,
                    n=result.applied,
                    verdict=verdict,
                )
            )
        for error in result.errors:
            click.echo(_("error: %(problem)s", problem=visible(tr.text(error))), err=True)
        for change in result.residual:
            differs = _(
                "%(router)s: still differs: %(action)s %(kind)s %(name)s",
                router=result.router,
                action=tr.message(change.action),
                kind=tr.message(change.kind),
                name=visible(change.name),
            )
            click.echo(_("error: %(problem)s", problem=differs), err=True)


def note_conflicts(plan: Plan) -> None:
    """After an apply: the conflicts it left alone, per router."""
    for router in plan.routers:
        conflicts = sum(1 for change in router.changes if change.action == "conflict")
        if conflicts:
            note = _(
                "note: %(router)s: %(n)s conflict(s) not applied "
                "(unmanaged entries with the same name; review them, then --adopt)",
                router=router.router,
                n=conflicts,
            )
            click.echo(note, err=True)


def _check_day(day: date, timezone: str, force: bool, what: str) -> None:
    """The routers are set as they must be on `day`: on any other day than today that
    suspends or enables the wrong customers (a future date suspends paid ones)."""
    today = today_in(timezone)
    if day != today and not force:
        raise IskError(
            f"refusing to apply: {what} for {day.isoformat()}, today is {today.isoformat()} "
            "(customers would be enabled or suspended as on that day); use --force if meant"
        )


@main.command("apply")
@click.argument(
    "planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--router", "routers", multiple=True, help="Only this router (repeatable).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (for CI).")
@click.option(
    "--force",
    is_flag=True,
    help="Apply routers whose plan is unsafe too, and a plan for a date other than today.",
)
@click.option("--adopt", is_flag=True, help="Take over unmanaged entries whose names collide.")
@pass_context
def apply_command(
    ctx: Context,
    planfile: Path | None,
    routers: tuple[str, ...],
    auto_approve: bool,
    force: bool,
    adopt: bool,
) -> None:
    """Plan (or load PLANFILE), show, confirm, apply, verify."""
    state = ctx.state
    if planfile is not None:
        plan = load_plan(planfile.read_text(encoding="utf-8"), state)
        _check_day(plan.as_of, state.settings.timezone, force, "the saved plan is")
        if routers:
            unknown = sorted(set(routers) - {router.router for router in plan.routers})
            if unknown:
                raise IskError(f"router {unknown[0]} is not in the plan file")
            plan = replace(
                plan, routers=tuple(router for router in plan.routers if router.router in routers)
            )
    else:
        _check_day(ctx.as_of, state.settings.timezone, force, "--as-of is")
        plan = make_plan_for(ctx, routers, adopt)
    show_plan(ctx, plan)
    # Imported here: `isk plan` needs neither the notifier nor the RADIUS store's writer.
    from isk_reconcile.cli.notify import post_operator_alerts
    from isk_reconcile.cli.radius import apply_store, split_store

    plan, store = split_store(plan)  # the RADIUS store is applied on its own, after routers
    store_failed = store is not None and store.status == "error"
    if store is not None and (store_failed or not any(c.applies for c in store.changes)):
        if store_failed:
            problem = f"{store.router}: {current().text(store.error or '')}"
            click.echo(_("error: %(problem)s", problem=problem), err=True)
        store = None
    if not plan.has_changes and store is None:
        post_operator_alerts(ctx, plan, None)  # unreachable routers, drift
        if plan.has_errors or store_failed:
            report_router_errors(plan)
            raise click.exceptions.Exit(1)
        return
    if not auto_approve:
        if not sys.stdin.isatty():
            raise IskError(
                "refusing to apply without confirmation: no terminal (use --auto-approve)"
            )
        if not click.confirm(_("Apply these changes?"), default=False):
            raise IskError("apply cancelled")
    with apply_progress(ctx) as progress:
        report = run_apply(plan, state, force=force, environ=os.environ, progress=progress)
    show_report(report)
    store_ok = store is None or apply_store(
        ctx, store, force=force, adopt=adopt, saved=planfile is not None
    )
    post_operator_alerts(ctx, plan, report)
    note_conflicts(plan)
    if not report.ok or not store_ok or store_failed:
        raise click.exceptions.Exit(1)
