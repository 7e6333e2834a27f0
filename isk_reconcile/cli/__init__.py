"""The `isk` command line. Only this package prints.

Each command group lives in its own module and registers itself on `main`
(see COMMAND_MODULES); `context.py` holds the shared options and helpers.
"""

from __future__ import annotations

import importlib
import sys

import click

from isk_reconcile.cli.context import add_global_options, run_cli
from isk_reconcile.cli.root import main as _group

# Modules that add commands to the `isk` group when imported.
COMMAND_MODULES = [
    "validate",
    "secrets",
    "customers",
    "billing",
    "sim",
    "router",
    "radius",
    "reconcile",
    "demo",
    "workflow",
    "status",
    "report",
    "init",
    "sessions",
    "payments",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"isk_reconcile.cli.{_name}")

add_global_options(_group)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: errors become one line on stderr and exit 1."""
    sys.exit(run_cli(_group, argv))


__all__ = ["main", "click"]
