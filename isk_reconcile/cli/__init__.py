"""The `isk` command line. Only this package prints.

Each command group lives in its own module and registers itself on `main` when
imported; the root group imports a command's module only when that command runs
(root.COMMANDS). `context.py` holds the shared options and helpers.
"""

from __future__ import annotations

import click

from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import COMMANDS
from isk_reconcile.cli.root import main as _group
from isk_reconcile.collector import leave, one_shot

# Modules that add commands to the `isk` group when imported.
COMMAND_MODULES = list(dict.fromkeys(module for modules in COMMANDS.values() for module in modules))


def load_all_commands() -> None:
    """Register every command now (for code that inspects the group, e.g. docs checks)."""
    _group.load_all()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: errors become one line on stderr and exit 1."""
    one_shot()  # `isk serve` says otherwise (collector.one_shot)
    leave(run_cli(_group, argv))  # (collector.leave: sys.exit, without a long teardown)


__all__ = ["main", "click", "load_all_commands"]
