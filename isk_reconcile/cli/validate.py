"""`isk validate [--base REF]`: check the state repository (SPEC §2, §6).

Errors (all of them) go to stderr as `file:line:col: field: message (hint)` and exit 1;
warnings go to stderr the same way, prefixed `warning:`; the summary goes to stdout.
"""

from __future__ import annotations

import click

from isk_reconcile.cli.context import Context, _, pass_context, problem_line
from isk_reconcile.cli.root import main
from isk_reconcile.errors import ConfigError, Loc, ValidationFailed
from isk_reconcile.state.loader import ledger_warnings

WARNINGS_SHOWN = 20  # a back-dated --as-of can warn about thousands of entries


@main.command("validate")
@click.option(
    "--base",
    "base_ref",
    metavar="REF",
    help="Also check git guards against this base commit (append-only ledger, ...).",
)
@pass_context
def validate(ctx: Context, base_ref: str | None) -> None:
    """Check schema, references, uniqueness and YAML traps of the state repository."""
    state = ctx.state  # raises ValidationFailed with every error
    as_of = ctx.as_of
    guard_warnings: list[ConfigError] = []
    if base_ref is not None:
        found = base_errors(ctx, base_ref, state, as_of)
        errors = [problem for problem in found if problem.severity == "error"]
        if errors:
            raise ValidationFailed(errors)
        guard_warnings = [problem for problem in found if problem.severity != "error"]
    warnings: list[ConfigError] = [
        *state.warnings,
        *ledger_warnings(state, as_of),
        *guard_warnings,
    ]
    count = len(warnings)
    shown = sorted(warnings) if ctx.verbose else sorted(warnings)[:WARNINGS_SHOWN]
    tr = ctx.tr
    for warning in shown:
        click.echo(_("warning: %(message)s", message=problem_line(warning)), err=True)
    if count > len(shown):
        more = _("warning: ... and %(n)s more (-v shows all)", n=count - len(shown))
        click.echo(more, err=True)
    summary = _(
        "ok: %(routers)s routers, %(profiles)s profiles, %(customers)s customers, "
        "%(entries)s ledger entries (%(warnings)s warnings, as of %(day)s)"
        if count != 1
        else "ok: %(routers)s routers, %(profiles)s profiles, %(customers)s customers, "
        "%(entries)s ledger entries (%(warnings)s warning, as of %(day)s)",
        routers=len(state.routers),
        profiles=len(state.profiles),
        customers=len(state.customers),
        entries=len(state.ledger),
        warnings=count,
        day=tr.day(as_of),
    )
    if base_ref is not None:
        summary += _("; git guards against %(ref)s: ok", ref=base_ref)
    click.echo(summary)


def base_errors(ctx: Context, base_ref: str, state, as_of) -> list[ConfigError]:
    """The git guards (isk_reconcile.gitops.guards), checked against `base_ref`, and a
    warning for each router whose connection settings the change touches."""
    from isk_reconcile.gitops import guards

    return [
        *guards.check(ctx.repo, base_ref, state, as_of),
        *connection_warnings(ctx, base_ref, state),
    ]


def connection_warnings(ctx: Context, base_ref: str, state) -> list[ConfigError]:
    """Routers new or with other connection settings than at `base_ref`: a reviewer must
    see that merging sends a router password somewhere new (docs/security.md)."""
    from isk_reconcile.gitops.base import routers_at
    from isk_reconcile.reconcile.trust import skip_note
    from isk_reconcile.state.layout import ROUTERS_FILE

    base = routers_at(ctx.repo, base_ref)
    warnings = []
    for name, router in state.routers.items():
        note = skip_note(router, base.get(name))
        if note is not None:
            loc = state.loc("router", name) or Loc(ROUTERS_FILE)
            message = note.replace("not contacted before merge", "`isk plan --base` skips it")
            warnings.append(
                ConfigError(
                    loc,
                    name,
                    f"{message}; merging sends its API password where these settings say",
                    "review host, port, tls and password_env before merging",
                    severity="warning",
                )
            )
    return warnings
