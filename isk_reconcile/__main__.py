"""`python -m isk_reconcile`: the same as the `isk` command."""

from isk_reconcile.cli import main

main()
