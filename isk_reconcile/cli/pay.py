"""`isk pay`: one ledger entry appended under the repository's write lock (the entry is
checked on its own, state/appending.py), optionally committed, and the customer's
standing after it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from isk_reconcile.cli.context import ISO_DATE, Context, _, pass_context
from isk_reconcile.cli.root import main
from isk_reconcile.cli.writing import (
    RUPIAH,
    check_can_commit_first,
    holding_write_lock,
    standing_line,
)
from isk_reconcile.errors import IskError

if TYPE_CHECKING:
    from isk_reconcile.state.writer import NewEntry


@main.command("pay")
@click.argument("customer_id", metavar="CUSTOMER")
@click.argument("amount", type=RUPIAH)
@click.option("--date", "day", type=ISO_DATE, help="Date of the payment (default: as-of date).")
@click.option(
    "--kind",
    type=click.Choice(["payment", "credit", "refund", "writeoff"]),
    default="payment",
    show_default=True,
)
@click.option(
    "--method",
    type=click.Choice(["cash", "transfer", "qris", "ewallet", "other"]),
    help="How the money moved (payment and refund; default cash).",
)
@click.option("--reference", default="", help="Bank reference, receipt number, ...")
@click.option("--note", default="")
@click.option("--reason", default="", help="Why the debt is written off (--kind writeoff).")
@click.option("--commit", "commit", is_flag=True, help="Commit the ledger file with git.")
@pass_context
def pay(
    ctx: Context,
    customer_id: str,
    amount: int,
    day: date | None,
    kind: str,
    method: str | None,
    reference: str,
    note: str,
    reason: str,
    commit: bool,
) -> None:
    """Append a ledger entry with the next free id to payments/<YYYY-MM>.yaml.

    `--kind writeoff --reason "..."` writes off bad debt: it settles invoices like a
    credit and is reported apart, as a decision on record."""
    from isk_reconcile.state.ledger import NON_CASH
    from isk_reconcile.state.writer import NewEntry

    if kind in NON_CASH and method:
        raise IskError(f"a {kind} is not cash: leave out --method")
    if kind not in NON_CASH and method is None:
        method = "cash"
    if kind == "writeoff" and not reason.strip():
        raise IskError('a writeoff needs --reason "why the debt is written off"')
    if kind != "writeoff" and reason:
        raise IskError("--reason is only for --kind writeoff (use --note)")
    with holding_write_lock(ctx):
        entry = NewEntry(
            customer=customer_id,
            amount=amount,
            date=day or ctx.as_of,
            kind=kind,
            method=method,
            reference=reference,
            note=note,
            reason=reason,
        )
        _pay(ctx, entry, commit)


def _pay(ctx: Context, entry: NewEntry, commit: bool) -> None:
    from isk_reconcile.billing.engine import rupiah
    from isk_reconcile.state.writer import add_entry, append_entry, entry_fields

    customer_id, amount, kind, method = entry.customer, entry.amount, entry.kind, entry.method
    if commit:
        check_can_commit_first(ctx.repo)
    # The state is loaded under the lock, once (not here before it as well).
    entry_id, relpath, state = add_entry(ctx.repo, None, entry)
    how = f" {method}" if method else ""
    tr = ctx.tr
    click.echo(
        _(
            "%(file)s: %(id)s %(kind)s %(customer)s %(amount)s%(how)s on %(day)s",
            file=relpath,
            id=entry_id,
            kind=tr.message(kind),
            customer=customer_id,
            amount=rupiah(amount),
            how=f" {tr.message(method)}" if method else "",
            day=tr.day(entry.date),
        )
    )
    if commit:
        from isk_reconcile.gitops.commits import commit_contents, committed_text

        label = "payment" if kind == "payment" else kind
        message = f"{label}: {entry_id} {customer_id} {rupiah(amount)}{how}"
        # HEAD's ledger file plus this entry only: another command's uncommitted entry in
        # the same file stays uncommitted (and is listed by the next writer if unfinished).
        text = append_entry(
            committed_text(ctx.repo, relpath), entry_fields(entry_id, entry), f"{entry.date:%Y-%m}"
        )
        click.echo(_("committed %(sha)s", sha=commit_contents(ctx.repo, {relpath: text}, message)))
    standing_line(ctx, state, customer_id)
