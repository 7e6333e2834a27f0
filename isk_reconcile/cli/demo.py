"""`isk demo` (to be written)."""

from isk_reconcile.cli.root import main  # noqa: F401
