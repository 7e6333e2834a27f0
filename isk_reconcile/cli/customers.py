"""`isk customers` and the `isk customer ...` group.

Subcommands of `customer` live in the modules that own them (`show` here,
`password` in cli/secrets.py, `add` in cli/workflow.py) and attach to `customer`.
`format_option` and `emit` are the shared `--format` plumbing for read commands.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import click

from isk_reconcile.billing.engine import Standing, rupiah, standing, standings
from isk_reconcile.billing.report_types import category
from isk_reconcile.cli.context import Context, _, pass_context
from isk_reconcile.cli.root import CUSTOMER_COMMANDS, LazyGroup, main
from isk_reconcile.errors import IskError
from isk_reconcile.render.i18n import Translator, translator
from isk_reconcile.render.tables import (
    FORMATS,
    Column,
    Row,
    money,
    render_rich,
    render_rows,
    render_table,
    to_json,
)
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State

if TYPE_CHECKING:  # rich is imported when a table is drawn (tests/cli/test_lazy_imports.py)
    from rich.table import Table

# --- shared output plumbing ---------------------------------------------------------------


def format_option(choices: Sequence[str] = FORMATS) -> Callable[[Callable], Callable]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default="table",
        show_default=True,
        help="Output: a table for people, csv or json for scripts.",
    )


def terminal_style(ctx: Context) -> dict[str, Any]:
    """Colour and width for tables: colour only on a terminal and without --no-color;
    fitted to the terminal's width (free text wraps, nothing else) unless --wide."""
    on_terminal = sys.stdout.isatty()
    asked = os.environ.get("COLUMNS", "").isdigit()  # a width a script asks for explicitly
    fitted = (on_terminal or asked) and not ctx.wide
    width = shutil.get_terminal_size().columns if fitted else None
    return {"color": ctx.color and on_terminal, "width": width, "language": ctx.language}


def emit(
    ctx: Context,
    rows: Iterable[Row],
    columns: Sequence[Column | str],
    fmt: str,
    *,
    title: str | None = None,
    footer: Row | None = None,
) -> None:
    rows = list(rows)
    style = terminal_style(ctx) if fmt == "table" else {}
    click.echo(render_rows(rows, columns, fmt, title=title, footer=footer, **style), nl=False)


def no_such(kind: str, name: str, known: Iterable[str]) -> IskError:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return IskError(f"no such {kind}: {name}{hint}")


# --- isk customers --------------------------------------------------------------------------

STATUS_FILTERS = ("active", "enabled", "suspended", "free", "terminated", "absent")


def access_style(value: Any) -> str | None:
    return {"suspended": "red", "absent": "dim", "enabled": "green"}.get(value)


def standing_style(value: Any) -> str | None:
    """Colour of a `standing` (the dashboard group of report.CATEGORIES)."""
    if isinstance(value, str) and value.startswith("suspended"):
        return "red"
    return {"active": "green", "free": "green", "terminated": "dim", "not-started": "dim"}.get(
        value
    )


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("id"),
    Column("name"),
    Column("router", give_way=3),
    Column("profile", give_way=2),
    Column("status", give_way=5),
    Column("standing", style=standing_style, give_way=4),
    Column("access", style=access_style, give_way=1),
    Column("reason"),
    Column("paid_through", "paid through"),
    money("balance"),
    Column("phone", give_way=6),
)


def current_profile(customer: Customer, as_of: date) -> str:
    return customer.profile_on(as_of) or customer.profile.first


def matches_status(customer: Customer | None, found: Standing, wanted: str) -> bool:
    """--status (see docs/billing.md): `active` is the standing (the dashboard group);
    `enabled` / `suspended` / `absent` are the access; `free` / `terminated` are the status
    written in the customer file (`customer` is needed only for those two)."""
    if wanted == "active":  # on the network and paying
        return category(found) == "active"
    if wanted in ("enabled", "suspended", "absent"):
        return found.access == wanted
    return customer is not None and customer.status == wanted  # free | terminated


def matches_search(customer: Customer, needle: str) -> bool:
    fields = (
        customer.id,
        customer.name,
        customer.phone,
        customer.address,
        customer.username,
        customer.notes,
    )
    return any(needle in value.casefold() for value in fields if value)


def access_ends(customer: Customer, found: Standing) -> date | None:
    """The last day the account stays on without another payment (None: never, e.g. free).

    Same rule as the dashboard's "expiring": paid-through, or a terminated customer's end.
    """
    if found.paid_through is None or found.cause in ("free", "protected"):
        return None
    if customer.status == "terminated" and customer.end is not None:
        return min(found.paid_through, customer.end)
    return found.paid_through


def customer_row(customer: Customer, found: Standing) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "router": customer.router,
        "profile": current_profile(customer, found.as_of),
        "status": customer.status,
        "standing": category(found),
        "access": found.access,
        "reason": found.reason,
        "paid_through": found.paid_through,
        "balance": found.balance,
        "phone": customer.phone,
    }


def select_customers(
    state: State,
    as_of: date,
    *,
    router: str | None = None,
    profile: str | None = None,
    status: str | None = None,
    expiring_within: int | None = None,
    search: str | None = None,
    every: Mapping[str, Standing] | None = None,
) -> list[tuple[Customer, Standing]]:
    """Customers matching every given filter, by id, with their standing on as_of
    (`every`: the standings of all customers on as_of, when the caller has them)."""
    if router is not None and router not in state.routers:
        raise no_such("router", router, state.routers)
    if profile is not None and profile not in state.profiles:
        raise no_such("profile", profile, state.profiles)
    needle = search.casefold() if search else None
    horizon = as_of + timedelta(days=expiring_within) if expiring_within is not None else None
    chosen = []
    every = standings(state, as_of) if every is None else every
    # The standing's filters first: building a customer from the state cache costs more.
    by_standing = status if status in ("active", "enabled", "suspended", "absent") else None
    for cid, found in every.items():
        if by_standing is not None and not matches_status(None, found, by_standing):
            continue
        customer = state.customers[cid]
        if router is not None and customer.router != router:
            continue
        if profile is not None and current_profile(customer, as_of) != profile:
            continue
        if status is not None and not matches_status(customer, found, status):
            continue
        if horizon is not None:
            expires = access_ends(customer, found)
            if found.access != "enabled" or expires is None or expires > horizon:
                continue
        if needle is not None and not matches_search(customer, needle):
            continue
        chosen.append((customer, found))
    return chosen


@main.command("customers")
@click.option("--router", help="Only customers on this router.")
@click.option("--profile", help="Only customers with this profile on the as-of date.")
@click.option(
    "--status",
    type=click.Choice(STATUS_FILTERS),
    help="active: standing active (enabled and paying); enabled / suspended / absent: the "
    "access (what the router must do); free / terminated: the status in the file.",
)
@click.option(
    "--expiring-within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Only enabled accounts paid through at most DAYS days after the as-of date.",
)
@click.option(
    "--search",
    metavar="TEXT",
    help="Case-insensitive text in id, name, phone, address, username or notes.",
)
@format_option()
@pass_context
def customers_command(
    ctx: Context,
    router: str | None,
    profile: str | None,
    status: str | None,
    expiring_within: int | None,
    search: str | None,
    fmt: str,
) -> None:
    """The customer list with current profile, standing, paid-through and balance."""
    as_of = ctx.as_of
    chosen = select_customers(
        ctx.state,
        as_of,
        router=router,
        profile=profile,
        status=status,
        expiring_within=expiring_within,
        search=search,
        every=ctx.standings(),
    )
    rows = [customer_row(customer, found) for customer, found in chosen]
    title = _(
        "%(n)s customers on %(day)s" if len(rows) != 1 else "%(n)s customer on %(day)s",
        n=len(rows),
        day=ctx.tr.day(as_of),
    )
    emit(ctx, rows, CUSTOMER_COLUMNS, fmt, title=title)


# --- isk customer show -------------------------------------------------------------------------


@main.group("customer", cls=LazyGroup)
def customer() -> None:
    """One customer: show, add, password, set-profile, suspend, resume, terminate, hold, edit."""


customer.sources = CUSTOMER_COMMANDS


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("id"),
    Column("customer", give_way=7),
    Column("period_start", "start", give_way=8),  # the invoice id ends with it
    Column("period_end", "end", give_way=6),
    Column("due"),
    Column("profile", give_way=4),
    money("amount"),
    money("paid", give_way=2),
    money("outstanding"),
    Column("status", style=lambda v: {"unpaid": "red", "partial": "yellow"}.get(v)),
    Column("paid_on", "paid on", give_way=3),
    Column("paid_by", "paid by", give_way=5),
)

LEDGER_COLUMNS: tuple[Column, ...] = (
    Column("id"),
    Column("date"),
    Column("kind"),
    Column("method", give_way=2),
    money("amount"),
    Column("reference"),
    Column("note"),
    Column("counted", give_way=3),
)


def invoice_row(invoice: Any) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "customer": invoice.customer,
        "period_start": invoice.period.start,
        "period_end": invoice.period.end,
        "due": invoice.due,
        "profile": invoice.profile,
        "amount": invoice.amount,
        "paid": invoice.paid,
        "outstanding": invoice.outstanding,
        "status": invoice.status,
        "paid_on": invoice.paid_on,
        "paid_by": invoice.paid_by,
    }


def customer_details(state: State, customer: Customer, found: Standing) -> dict[str, Any]:
    """Everything `customer show` tells, as plain values (never the password)."""
    prices = {}
    profile_history = []
    for change in customer.profile.changes:
        package = state.profiles.get(change.value)
        day = max(change.from_, customer.start)
        prices[change.value] = package.price_on(day) if package else None
        profile_history.append(
            {"from": day, "profile": change.value, "price": prices[change.value]}
        )
    own_prices = (
        [{"from": max(c.from_, customer.start), "price": c.value} for c in customer.price.changes]
        if customer.price is not None
        else []
    )
    entries = sorted(state.entries_for(customer.id), key=lambda e: (e.date, e.id))
    return {
        "id": customer.id,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "router": customer.router,
        "username": customer.username,
        "start": customer.start,
        "end": customer.end,
        "status": customer.status,
        "suspend_reason": customer.suspend_reason,
        "protect": customer.protect,
        "notes": customer.notes,
        "as_of": found.as_of,
        "standing": category(found),
        "access": found.access,
        "cause": found.cause,
        "reason": found.reason,
        "profile": current_profile(customer, found.as_of),
        "paid_through": found.paid_through,
        "credit": found.credit,
        "balance": found.balance,
        "profile_history": profile_history,
        "price_history": own_prices,
        "invoices": [invoice_row(invoice) for invoice in found.invoices],
        "ledger": [
            {
                "id": e.id,
                "date": e.date,
                "kind": e.kind,
                "method": e.method,
                "amount": e.amount,
                "reference": e.reference,
                "note": e.note,
                "counted": e.date <= found.as_of,
            }
            for e in entries
        ],
    }


def _details_text(
    details: dict[str, Any], color: bool, width: int | None, language: str = "en"
) -> str:
    from rich.text import Text

    tr = translator(language)
    as_of = tr.message("as of %(day)s", day=tr.day(details["as_of"]))
    heading = f"{details['id']} — {details['name']} ({as_of})"
    parts = [render_rich(Text(heading, style="bold"), color=color, width=width)]
    parts.append(render_rich(_facts(details, tr), color=color, width=width))
    parts += _history_tables(details, color, width, language)
    return "\n".join(parts)


def _shown(value: Any, tr: Translator) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return tr.yes_no(value)
    return tr.cell_day(value) if isinstance(value, date) else str(value)


def _facts(details: dict[str, Any], tr: Translator) -> Table:
    """The customer's standing, money and contact facts as a two-column grid, in the
    reader's language (the values the repository wrote stay as written)."""
    from rich.table import Table
    from rich.text import Text

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    access_colour = access_style(details["access"]) or ""
    standing, why = standing_style(details["standing"]) or "", tr.text(details["reason"])
    lines = [
        ("standing", Text(tr.text(details["standing"]), style=standing)),
        ("access", Text(f"{tr.text(details['access'])}: {why}", style=access_colour)),
        ("paid through", _shown(details["paid_through"], tr)),
        ("balance", rupiah(details["balance"])),
        ("credit", rupiah(details["credit"])),
        ("profile", _shown(details["profile"], tr)),
        ("status", tr.text(_shown(details["status"], tr))),
    ]
    if details["suspend_reason"]:
        lines.append(("suspend reason", details["suspend_reason"]))
    contact = ("router", "username", "phone", "email", "address", "start", "end", "protect")
    for key in (*contact, "notes"):
        lines.append((key.replace("_", " "), _shown(details[key], tr)))
    for key, value in lines:
        facts.add_row(tr.message(key), value if isinstance(value, Text) else Text(value))
    return facts


def _history_tables(
    details: dict[str, Any], color: bool, width: int | None, language: str = "en"
) -> list[str]:
    """Profile history, own price (when any), invoices and ledger, as rendered tables."""
    tr = translator(language)
    history = details["profile_history"]
    parts = [
        render_table(
            history,
            (Column("from"), Column("profile"), money("price", "package price")),
            title=tr.message("Profile history"),
            color=color,
            width=width,
            language=language,
        )
    ]
    if details["price_history"]:
        parts.append(
            render_table(
                details["price_history"],
                (Column("from"), money("price", "own price")),
                title=tr.message("Customer price"),
                color=color,
                width=width,
                language=language,
            )
        )
    invoice_columns = [c for c in INVOICE_COLUMNS if c.name != "customer"]
    parts.append(
        render_table(
            details["invoices"],
            invoice_columns,
            title=tr.message("Invoices (%(n)s)", n=len(details["invoices"])),
            color=color,
            width=width,
            language=language,
        )
    )
    parts.append(
        render_table(
            details["ledger"],
            LEDGER_COLUMNS,
            title=tr.message("Ledger (%(n)s)", n=len(details["ledger"])),
            color=color,
            width=width,
            language=language,
        )
    )
    return parts


@customer.command("show")
@click.argument("customer_id", metavar="ID")
@format_option(("table", "json"))
@pass_context
def show_command(ctx: Context, customer_id: str, fmt: str) -> None:
    """One customer: details, profile history, invoices, ledger, standing and its reason."""
    state = ctx.state
    found_customer = state.customers.get(customer_id)
    if found_customer is None:
        raise no_such("customer", customer_id, state.customers)
    details = customer_details(state, found_customer, standing(state, customer_id, ctx.as_of))
    if fmt == "json":
        click.echo(to_json(details), nl=False)
    else:
        click.echo(_details_text(details, **terminal_style(ctx)), nl=False)
