"""`isk secrets keygen|encrypt` and `isk customer password ID` (SPEC §7)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from isk_reconcile.cli.context import Context, pass_context
from isk_reconcile.cli.customers import customer, no_such
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.state import encryption
from isk_reconcile.state.loader import load_settings


@main.group("secrets")
def secrets_group() -> None:
    """age keys and encrypted PPPoE passwords."""


@secrets_group.command("keygen")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the identity to FILE (mode 0600) and print only the public key.",
)
def keygen(out: Path | None) -> None:
    """Make a new age identity; its public key goes into settings.secrets.recipients."""
    identity, public = encryption.generate_identity()
    if out is None:
        click.echo(f"# public key: {public}")
        click.echo(identity)
        return
    if out.exists():
        raise IskError(f"{out} already exists; not overwriting an identity")
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"# created by isk secrets keygen\n# public key: {public}\n{identity}\n")
    except OSError as problem:
        raise IskError(f"cannot write {out}: {problem.strerror}") from None
    click.echo(public)


@secrets_group.command("encrypt")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    metavar="AGE1...",
    help="Encrypt to this public key (repeatable; default: settings.secrets.recipients).",
)
@pass_context
def encrypt(ctx: Context, recipients: tuple[str, ...]) -> None:
    """Encrypt one value read from stdin; prints age:... for pppoe.password."""
    if not recipients:
        recipients = load_settings(ctx.repo).secrets.recipients
    value = sys.stdin.read()
    # One value: drop the newline that `echo` or a terminal adds.
    value = value[:-1] if value.endswith("\n") else value
    value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise IskError("nothing to encrypt: write the value to stdin")
    click.echo(encryption.encrypt(value, recipients))


@customer.command("password")
@click.argument("customer_id", metavar="ID")
@pass_context
def password(ctx: Context, customer_id: str) -> None:
    """Decrypt and print a customer's PPPoE password (for the technician)."""
    state = ctx.state
    found = state.customers.get(customer_id)
    if found is None:
        raise no_such("customer", customer_id, state.customers)
    stored = found.pppoe.password
    if stored is None:
        raise IskError(f"customer '{customer_id}' has no password in the repository")
    click.echo(encryption.decrypt(stored, encryption.load_identity()))
