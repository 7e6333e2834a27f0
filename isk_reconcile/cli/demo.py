"""`isk demo`: the whole loop on simulated routers, on a fresh checkout.

Starts one simulated router per router of the example ISP (loopback only), seeds it
with realistic drift (`isk_reconcile.reconcile.demo`), then plan → apply → plan again (must be
empty) → status, and stops the simulators.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from isk_reconcile.cli.context import Context, pass_context
from isk_reconcile.cli.progress import console
from isk_reconcile.cli.reconcile import apply_progress, show_plan, show_report
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.gitops.history import head_commit
from isk_reconcile.reconcile.apply import ApplyReport, run_apply
from isk_reconcile.reconcile.demo import HAND_COMMENT, demo_seed, recreated_by_hand
from isk_reconcile.reconcile.passwords import decrypt_passwords
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State

if TYPE_CHECKING:
    from isk_reconcile.sim import SimulatedRouter

PROJECT = Path(__file__).resolve().parent.parent.parent


def demo_repo(ctx: Context) -> Path:
    """--repo (or $ISK_REPO) when given; else the example ISP of the clone this runs from;
    else the copy shipped inside the package (an installation from a wheel or git URL)."""
    from isk_reconcile.gitops.bootstrap import example_repository

    if ctx.repo_option is not None:
        return ctx.repo_option.resolve()
    for candidate in (PROJECT, example_repository()):
        if (candidate / "state" / "routers.yaml").is_file():
            return candidate
    raise IskError("no example repository next to the package: pass --repo DIR")


def demo_identity_file(repo: Path) -> Path | None:
    """The labelled demo identity: the repo's own (a copy made by `isk init --example`),
    else the one shipped with the example ISP (it decrypts the example's passwords only)."""
    from isk_reconcile.gitops.bootstrap import example_repository

    for folder in (repo, example_repository()):
        candidate = folder / "demo" / "age-identity.txt"
        if candidate.is_file():
            return candidate
    return None


def heading(ctx: Context, text: str) -> None:
    console(ctx).rule(f"[bold]{text}[/bold]" if ctx.color else text)


@main.command("demo")
@pass_context
def demo(ctx: Context) -> None:
    """Simulated routers with drift: plan, apply, plan again (empty), status."""
    repo = demo_repo(ctx)
    state = _demo_state(ctx, repo)
    as_of = ctx.as_of

    seed = demo_seed(state, as_of, decrypt_passwords(state, os.environ))
    from isk_reconcile.sim import serve_repo  # the simulator is only loaded for the demo

    simulators = serve_repo(repo)
    try:
        for simulator in simulators:
            simulator.load(seed.snapshots[simulator.identity])
        where = ", ".join(f"{sim.identity} 127.0.0.1:{sim.port}" for sim in simulators)
        click.echo(f"Simulated routers: {where}")
        click.echo("Drift seeded on the routers:")
        for line in seed.drift:
            click.echo(f"  - {line}")

        heading(ctx, "1. isk plan")
        plan = run_plan(state, as_of, environ=os.environ, commit=head_commit(repo))
        show_plan(ctx, plan)

        heading(ctx, "2. isk apply --auto-approve")
        with apply_progress(ctx) as progress:
            report = run_apply(plan, state, environ=os.environ, progress=progress)
        show_report(report)

        heading(ctx, "3. isk plan (again: must be empty)")
        again = run_plan(state, as_of, environ=os.environ, commit=head_commit(repo))
        show_plan(ctx, again)

        adopted: ApplyReport | None = None
        final = again
        if seed.conflict is not None:
            heading(ctx, "4. a conflict: a secret re-created by hand, then isk apply --adopt")
            adopted, final = conflict_step(ctx, state, repo, simulators, *seed.conflict)

        closing_steps(ctx, repo, 5 if seed.conflict else 4)
    finally:
        for simulator in simulators:
            simulator.stop()
    if not report.ok or (adopted is not None and not adopted.ok):
        raise IskError("demo: the apply did not succeed")
    if again.has_changes or again.has_errors:
        raise IskError("demo: the second plan is not empty")
    if final.has_changes or final.has_errors or any(r.changes for r in final.routers):
        raise IskError("demo: the plan after --adopt is not empty")
    click.echo("Demo finished: the routers match the repository.")


def _demo_state(ctx: Context, repo: Path) -> State:
    """Load the demo repository, in the demo's own process environment: the labelled demo
    identity and demo API passwords."""
    ctx.repo_option = repo
    demo_identity = demo_identity_file(repo)
    if demo_identity is not None and not os.environ.get("ISK_AGE_IDENTITY"):
        os.environ.setdefault("ISK_AGE_IDENTITY_FILE", str(demo_identity))
    state = load_state(repo)
    ctx._state = state
    for name, router in state.routers.items():
        os.environ.setdefault(router.password_variable, f"demo-{name}")
    return state


def closing_steps(ctx: Context, repo: Path, step: int) -> None:
    """The read-only tour after the applies, numbered from `step`."""
    heading(ctx, f"{step}. isk status")
    show_status(ctx, repo)
    heading(ctx, f"{step + 1}. isk sessions: who is online")
    run_isk(ctx, repo, "sessions")
    heading(ctx, f"{step + 2}. everyday office work (on a scratch copy)")
    everyday_step(ctx, repo)
    heading(ctx, f"{step + 3}. isk notify plan (what would go out today)")
    run_isk(ctx, repo, "notify", "plan")


def conflict_step(
    ctx: Context,
    state: State,
    repo: Path,
    simulators: list[SimulatedRouter],
    router: str,
    name: str,
) -> tuple[ApplyReport, Plan]:
    """A technician re-creates a managed secret by hand: the plan shows a conflict (never
    applied); `isk apply --adopt` takes the entry over; a last plan must be empty."""
    simulator = next(sim for sim in simulators if sim.identity == router)
    simulator.load(recreated_by_hand(simulator.dump(), name))
    click.echo(
        f"A technician deleted secret {name} on {router} and re-created it in Winbox "
        f'(comment "{HAND_COMMENT}"): isk no longer owns it.'
    )
    click.echo(f"\n$ isk plan --router {router}")
    commit = head_commit(repo)
    show_plan(ctx, run_plan(state, ctx.as_of, [router], environ=os.environ, commit=commit))
    click.echo(f"\n$ isk apply --router {router} --adopt --auto-approve")
    plan = run_plan(state, ctx.as_of, [router], adopt=True, environ=os.environ, commit=commit)
    show_plan(ctx, plan)
    with apply_progress(ctx) as progress:
        report = run_apply(plan, state, environ=os.environ, progress=progress)
    show_report(report)
    click.echo("\n$ isk plan")
    final = run_plan(state, ctx.as_of, environ=os.environ, commit=head_commit(repo))
    show_plan(ctx, final)
    return report, final


def run_isk(ctx: Context, repo: Path, *args: str) -> None:
    """One `isk` command as a user would type it (its own context), exit code checked."""
    options = ["--repo", str(repo), "--as-of", ctx.as_of.isoformat()]
    if not ctx.color:
        options.append("--no-color")
    code = main.main(args=[*options, *args], standalone_mode=False)
    if code not in (None, 0):
        raise IskError(f"demo: `isk {' '.join(args)}` exited with {code}")


def everyday_step(ctx: Context, repo: Path) -> None:
    """A package change and a hold, written by the customer commands into a scratch copy
    of the repository (the example itself stays untouched), with the lines they changed."""
    import difflib
    import shutil
    import tempfile

    from isk_reconcile.reconcile.demo import everyday_edits

    edits = everyday_edits(ctx.state, ctx.as_of)
    with tempfile.TemporaryDirectory(prefix="isk-demo-") as scratch:
        copy = Path(scratch)
        for folder in ("state", "payments"):
            if (repo / folder).is_dir():
                shutil.copytree(repo / folder, copy / folder)
        for args in (edits.upgrade, edits.hold):
            if args is None:
                continue
            relpath = f"state/customers/{args[2]}.yaml"
            before = (copy / relpath).read_text("utf-8").splitlines()
            click.echo(f"\n$ isk {' '.join(_quoted(arg) for arg in args)}")
            run_isk(ctx, copy, *args)
            after = (copy / relpath).read_text("utf-8").splitlines()
            for line in difflib.unified_diff(before, after, relpath, relpath, n=0, lineterm=""):
                click.echo(f"  {line}")


def _quoted(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


def show_status(ctx: Context, repo: Path) -> None:
    """`isk status` when the dashboard is installed, else a short summary."""
    command = main.get_command(click.get_current_context(silent=True), "status")
    if command is not None:
        args = ["--repo", str(repo), "--as-of", ctx.as_of.isoformat()]
        if not ctx.color:
            args.append("--no-color")
        code = main.main(args=[*args, "status"], standalone_mode=False)
        if code not in (None, 0):
            click.echo(f"status exited with {code}", err=True)
        return
    from isk_reconcile.billing.engine import standings

    counts: dict[str, int] = {}
    for standing in standings(ctx.state, ctx.as_of).values():
        counts[standing.access] = counts.get(standing.access, 0) + 1
    click.echo(", ".join(f"{count} {access}" for access, count in sorted(counts.items())))
