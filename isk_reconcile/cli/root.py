"""The root `isk` group and its global options (SPEC §6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from isk_reconcile import __version__
from isk_reconcile.cli.context import ISO_DATE, Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ISK_REPO",
    help="State repository (default: $ISK_REPO, else the nearest ancestor that has "
    "state/routers.yaml).",
)
@click.option(
    "--as-of",
    "as_of",
    type=ISO_DATE,
    help="Evaluate billing on this date (default: today in settings.timezone).",
)
@click.option("--no-color", is_flag=True, help="Plain output, no colours.")
@click.option("--wide", is_flag=True, help="Tables as wide as their content (no wrapping).")
@click.option("-v", "--verbose", is_flag=True, help="More detail; tracebacks on errors.")
@click.version_option(__version__, prog_name="isk")
@click.pass_context
def main(
    ctx: click.Context,
    repo: Path | None,
    as_of: date | None,
    no_color: bool,
    wide: bool,
    verbose: bool,
) -> None:
    """isk-reconcile: PPPoE customers on MikroTik routers, the GitOps way."""
    ctx.obj = Context(
        repo_option=repo, as_of_option=as_of, color=not no_color, verbose=verbose, wide=wide
    )
