"""`isk customers` and the `isk customer ...` group.

Subcommands of `customer` live in the modules that own them (`show` here,
`password` in cli/secrets.py, `add` in cli/workflow.py) and attach to `customer`.
"""

from __future__ import annotations

import click

from isk_reconcile.cli.root import main


@main.group("customer")
def customer() -> None:
    """One customer: show, add, password."""
