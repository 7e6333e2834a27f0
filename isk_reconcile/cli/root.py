"""The root `isk` group and its global options (SPEC §6)."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from pathlib import Path

import click

from isk_reconcile import __version__
from isk_reconcile.cli.context import ISO_DATE, Context, add_global_options, language_of
from isk_reconcile.cli.helptext import HelpGroup

# Which modules of isk_reconcile.cli register each top-level command. A command's modules
# are imported only when that command runs (or help lists them all): `isk customer show`
# does not pay for the workbook writer, jinja2, deepdiff, git or the simulator.
COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "secrets": ("secrets", "customer_ops"),  # customer_ops adds `secrets rekey`
    "customers": ("customers",),
    "customer": ("customers",),  # its subcommands: CUSTOMER_COMMANDS
    "invoices": ("billing",),
    "receivables": ("billing",),
    "sim": ("sim",),
    "router": ("router",),
    "radius": ("radius",),
    "plan": ("reconcile",),
    "apply": ("reconcile",),
    "demo": ("demo",),
    "pay": ("pay",),
    "history": ("workflow",),
    "import": ("workflow",),
    "ci": ("workflow",),
    "status": ("status",),
    "export": ("report",),
    "report": ("report",),
    "init": ("init",),
    "sessions": ("sessions",),
    "notify": ("notify",),
    "invoice": ("payments",),
    "serve": ("payments",),
    "payments": ("payments",),
}
CUSTOMER_COMMANDS: dict[str, tuple[str, ...]] = {
    "show": ("customers",),
    "password": ("secrets",),
    "add": ("workflow",),
    **dict.fromkeys(
        ("set-profile", "suspend", "resume", "terminate", "hold", "edit"), ("customer_ops",)
    ),
}


class LazyGroup(HelpGroup):
    """A group whose commands' modules are imported on first use (`sources`: command name
    -> modules of isk_reconcile.cli that register it). Its help is in the repository's
    language (HelpGroup), and so is that of every command and group declared on it."""

    sources: dict[str, tuple[str, ...]] = {}
    group_class = HelpGroup  # `notify`, `router`, ...: not lazy, they are one module each

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module in self.sources.get(cmd_name, ()):
                importlib.import_module(f"isk_reconcile.cli.{module}")
        if cmd_name not in self.commands and cmd_name not in self.sources:
            self.load_all()  # a command no table names yet: still found, just not lazily
        command = super().get_command(ctx, cmd_name)  # type: ignore[arg-type]
        if command is not None:
            add_global_options([command])
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_all()
        return super().list_commands(ctx)

    def load_all(self) -> None:
        """Import every command module of this package (also one no table names)."""
        package = Path(__file__).parent
        for found in pkgutil.iter_modules([str(package)]):
            if found.name not in ("context", "root", "helptext", "__main__"):
                importlib.import_module(f"isk_reconcile.cli.{found.name}")
        add_global_options(self.commands.values())


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _show_version(ctx, value),
    help="Show the version and exit.",
)
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


main.sources = COMMANDS


def _show_version(ctx: click.Context, asked: bool) -> None:
    """`isk --version`, in the language of the repository the command line names (as
    `--help` is: before the root callback has run; English without one)."""
    if not asked or ctx.resilient_parsing:
        return
    from isk_reconcile.render.i18n import translator

    tr = translator(language_of(ctx))
    click.echo(tr.message("%(prog)s, version %(version)s", prog="isk", version=__version__))
    ctx.exit()
