"""`isk invoices` and `isk receivables`: read-only views of the billing engine."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import click

from isk_reconcile.billing.engine import rupiah, standings
from isk_reconcile.billing.receivables import AGING_BUCKETS, receivables, receivables_by_customer
from isk_reconcile.billing.report_types import category
from isk_reconcile.cli.context import Context, _, pass_context
from isk_reconcile.cli.customers import (
    INVOICE_COLUMNS,
    access_style,
    emit,
    format_option,
    invoice_row,
    no_such,
    standing_style,
)
from isk_reconcile.cli.root import main
from isk_reconcile.render.tables import Column, money

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """--month YYYY-MM as the month's first day."""
    if value is None:
        return None
    found = MONTH.match(value)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise click.BadParameter(f"{value!r} is not a month: write YYYY-MM, e.g. 2026-11")
    return date(int(found.group(1)), int(found.group(2)), 1)


@main.command("invoices")
@click.option("--customer", "customer_id", metavar="ID", help="Only this customer's invoices.")
@click.option("--unpaid", is_flag=True, help="Only invoices with an outstanding amount.")
@click.option(
    "--month",
    metavar="YYYY-MM",
    callback=parse_month,
    help="Only invoices whose period starts in this month.",
)
@format_option()
@pass_context
def invoices_command(
    ctx: Context, customer_id: str | None, unpaid: bool, month: date | None, fmt: str
) -> None:
    """Invoices for periods started on or before the as-of date, with payments allocated."""
    state, as_of = ctx.state, ctx.as_of
    if customer_id is not None and customer_id not in state.customers:
        raise no_such("customer", customer_id, state.customers)
    rows: list[dict[str, Any]] = []
    for cid, found in standings(state, as_of).items():
        if customer_id is not None and cid != customer_id:
            continue
        for invoice in found.invoices:
            if unpaid and invoice.outstanding <= 0:
                continue
            if month is not None and invoice.period.start.replace(day=1) != month:
                continue
            rows.append(invoice_row(invoice))
    footer = {
        "id": _("%(n)s invoices" if len(rows) != 1 else "%(n)s invoice", n=len(rows)),
        "amount": sum(row["amount"] for row in rows),
        "paid": sum(row["paid"] for row in rows),
        "outstanding": sum(row["outstanding"] for row in rows),
    }
    title = _("Invoices on %(day)s", day=ctx.tr.day(as_of))
    emit(ctx, rows, INVOICE_COLUMNS, fmt, title=title, footer=footer)


BUCKET_COLUMN_NAMES = {
    "0-30": "days_0_30",
    "31-60": "days_31_60",
    "61-90": "days_61_90",
    ">90": "days_over_90",
}

RECEIVABLE_COLUMNS: tuple[Column, ...] = (
    Column("customer"),
    Column("name"),
    Column("router", give_way=5),
    Column("standing", style=standing_style),
    Column("access", style=access_style, give_way=4),
    Column("invoices", justify="right", give_way=3),
    Column("oldest_due", "oldest due"),
    # the aging buckets give way before the total in a narrow terminal
    *(money(BUCKET_COLUMN_NAMES[label], f"{label} days", give_way=1) for label, _ in AGING_BUCKETS),
    money("total"),
)

RECEIVABLE_DETAIL_COLUMNS: tuple[Column, ...] = (
    Column("invoice"),
    Column("customer", give_way=4),
    Column("name"),
    Column("due"),
    money("amount"),
    money("outstanding"),
    Column("days_past_due", "days past due", justify="right", give_way=2),
    Column("bucket", give_way=3),
)


@main.command("receivables")
@click.option("--detail", is_flag=True, help="One row per unpaid invoice instead of per customer.")
@format_option()
@pass_context
def receivables_command(ctx: Context, detail: bool, fmt: str) -> None:
    """Receivables (piutang): unpaid, due money per customer, aged 0-30/31-60/61-90/>90 days."""
    state, as_of = ctx.state, ctx.as_of
    every = standings(state, as_of)
    owed = receivables(state, as_of, by_customer=every)
    summary = ", ".join(f"{b.label}: {rupiah(b.amount)}" for b in owed.buckets)
    title = _(
        "Receivables on %(day)s: %(total)s (%(summary)s)",
        day=ctx.tr.day(as_of),
        total=rupiah(owed.total),
        summary=summary,
    )
    written_off = sum(e.amount for e in state.ledger if e.kind == "writeoff" and e.date <= as_of)
    if written_off:
        title += _("; written off (bad debt) to date: %(amount)s", amount=rupiah(written_off))
    if detail:
        rows = [
            {
                "invoice": item.invoice.id,
                "customer": item.invoice.customer,
                "name": state.customers[item.invoice.customer].name,
                "due": item.invoice.due,
                "amount": item.invoice.amount,
                "outstanding": item.invoice.outstanding,
                "days_past_due": item.days_past_due,
                "bucket": item.bucket,
            }
            for item in owed.items
        ]
        footer = {
            "invoice": _("%(n)s invoices", n=len(rows)),
            "amount": sum(row["amount"] for row in rows),
            "outstanding": owed.total,
        }
        emit(ctx, rows, RECEIVABLE_DETAIL_COLUMNS, fmt, title=title, footer=footer)
        return
    rows = []
    for row in receivables_by_customer(owed):
        customer = state.customers[row.customer]
        values: dict[str, Any] = {
            "customer": row.customer,
            "name": customer.name,
            "router": customer.router,
            "standing": category(every[row.customer]),
            "access": every[row.customer].access,
            "invoices": row.invoices,
            "oldest_due": row.oldest_due,
            "total": row.total,
        }
        values.update({BUCKET_COLUMN_NAMES[label]: row.buckets[label] for label in row.buckets})
        rows.append(values)
    footer = {
        "customer": _("total"),
        "invoices": len(owed.items),
        "total": owed.total,
        **{BUCKET_COLUMN_NAMES[b.label]: b.amount for b in owed.buckets},
    }
    emit(ctx, rows, RECEIVABLE_COLUMNS, fmt, title=title, footer=footer)
