"""`isk invoice link`, `isk serve` and `isk payments reconcile`: online payments through a
payment gateway (docs/payments.md)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from isk_reconcile.cli.context import ISO_DATE, Context, pass_context, say, today_in
from isk_reconcile.cli.root import main
from isk_reconcile.collector import one_shot
from isk_reconcile.errors import IskError

if TYPE_CHECKING:
    from collections.abc import Callable

    from isk_reconcile.gateway.receiver import Recorded

AUTHOR = re.compile(r"^(?P<name>[^<>]+?)\s*<(?P<email>[^<>\s]+)>$")


def _git_dir(repo: Path) -> Path | None:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(found.stdout.strip()) if found.returncode == 0 else None


def _gateway_name(ctx: Context, chosen: str | None) -> str:
    name = chosen or ctx.state.settings.payments.gateway
    if name is None:
        raise IskError("no gateway chosen: pass --gateway or set payments.gateway in settings")
    return name


def _identity(author: str):
    from isk_reconcile.gitops.publish import Identity

    found = AUTHOR.match(author.strip())
    if not found:
        raise click.BadParameter(f"{author!r}: write it as 'Name <email>'")
    return Identity(found["name"], found["email"])


def publish_options(f):
    f = click.option(
        "--author",
        default="isk-serve <isk-serve@localhost>",
        show_default=True,
        help="Commit author (the bot identity).",
    )(f)
    f = click.option("--branch", default="main", show_default=True, help="Branch to push to.")(f)
    f = click.option("--remote", default="origin", show_default=True, help="Remote to push to.")(f)
    return f


# --- isk invoice link ----------------------------------------------------------------------


@main.group("invoice")
def invoice_group() -> None:
    """One customer's invoice: a payment link for it."""


@invoice_group.command("link")
@click.argument("customer_id", metavar="ID")
@click.option("--invoice", "invoice_id", metavar="INV", help="Invoice id (default: all due).")
@click.option("--gateway", "gateway_name", type=click.Choice(["midtrans", "xendit"]))
@pass_context
def invoice_link(
    ctx: Context, customer_id: str, invoice_id: str | None, gateway_name: str | None
) -> None:
    """Create a payment for the amount due through the gateway and print its link."""
    from isk_reconcile.billing.engine import rupiah
    from isk_reconcile.gateway import gateway_named
    from isk_reconcile.gateway.links import journal_path, order_for, remember

    state = ctx.state
    name = _gateway_name(ctx, gateway_name)
    gateway = gateway_named(name, state.settings)
    order = order_for(state, customer_id, ctx.as_of, invoice_id, gateway.order_id_length)
    link = gateway.create_link(order)
    remember(journal_path(_git_dir(ctx.repo)), name, order, link, ctx.as_of)
    say(f"{customer_id}: {rupiah(order.amount)} for {order.invoice} via {name}")
    say(f"order: {order.order_id}")
    if link.expires:
        say(f"expires: {link.expires}")
    click.echo(link.url)


# --- isk serve ---------------------------------------------------------------------------


def json_log(event: dict[str, Any]) -> None:
    """One JSON object per line on stderr (journald / docker logs read it as it is)."""
    line = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **event}
    click.echo(json.dumps(line, ensure_ascii=True, default=str), err=True)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@publish_options
@pass_context
def serve(ctx: Context, host: str, port: int, remote: str, branch: str, author: str) -> None:
    """Receive payment gateway callbacks; record each settlement in the ledger, push it."""
    import uvicorn

    one_shot(False)  # it runs for days: nothing it loads is frozen (collector.one_shot)

    from isk_reconcile.gateway import configured_gateways
    from isk_reconcile.gateway.app import make_app
    from isk_reconcile.gateway.receiver import Receiver
    from isk_reconcile.gitops.publish import Publisher

    state = ctx.state
    gateways = configured_gateways(state.settings)
    if not gateways:
        raise IskError(
            "no gateway key in the environment: set ISK_MIDTRANS_SERVER_KEY "
            "and/or ISK_XENDIT_SECRET_KEY"
        )
    publisher = Publisher(ctx.repo, remote, branch, _identity(author))
    zone, fixed = state.settings.timezone, ctx.as_of_option

    def today() -> date:  # --as-of pins the date (tests, demos); else today, every time
        return fixed or today_in(zone)

    after = _direct_apply(today) if state.settings.payments.apply_after_payment else None
    receiver = Receiver(publisher, gateways, json_log, today, after)
    json_log(
        {
            "event": "start",
            "host": host,
            "port": port,
            "gateways": sorted(gateways),
            "branch": branch,
            "direct_apply": after is not None,
        }
    )
    uvicorn.run(make_app(receiver), host=host, port=port, log_level="warning", access_log=False)


def _direct_apply(today: Callable[[], date]) -> Callable[[Recorded, str], None]:
    """After a recorded payment: apply that customer's router now (in the background)."""

    applying = threading.Lock()  # one apply at a time: two payments, one router

    def run(done: Recorded, customer_id: str) -> None:
        with applying:
            apply_router(done, customer_id)

    def apply_router(done: Recorded, customer_id: str) -> None:
        from isk_reconcile.reconcile.apply import run_apply
        from isk_reconcile.reconcile.run import run_plan

        state = done.state
        assert state is not None
        router = state.customers[customer_id].router
        as_of = today()
        try:
            report = run_apply(run_plan(state, as_of, routers=[router]), state)
            ok = report.ok
            errors = [e for result in report.routers for e in result.errors]
        except Exception as problem:  # logged, never crashes the receiver
            ok, errors = False, [type(problem).__name__]
        json_log(
            {
                "event": "apply",
                "router": router,
                "customer": customer_id,
                "ok": ok,
                "errors": errors[:5],
            }
        )

    def after(done: Recorded, customer_id: str) -> None:
        threading.Thread(target=run, args=(done, customer_id), daemon=True).start()

    return after


# --- isk payments reconcile ----------------------------------------------------------------


@main.group("payments")
def payments_group() -> None:
    """Online payments: reconcile the ledger against the gateways."""


@payments_group.command("reconcile")
@click.option("--since", type=ISO_DATE, required=True, help="Transactions paid on or after.")
@click.option(
    "--gateway",
    "gateway_names",
    multiple=True,
    type=click.Choice(["midtrans", "xendit"]),
    help="Gateway to ask (default: every one with a key in the environment).",
)
@click.option("--order", "orders", multiple=True, help="Also ask about this order id.")
@click.option("--record", is_flag=True, help="Record the missing ones (commit and push).")
@publish_options
@pass_context
def reconcile(
    ctx: Context,
    since: date,
    gateway_names: tuple[str, ...],
    orders: tuple[str, ...],
    record: bool,
    remote: str,
    branch: str,
    author: str,
) -> None:
    """List settled gateway transactions missing from the ledger (e.g. a webhook lost while
    `isk serve` was down); with --record, add them like the webhook would have."""
    from isk_reconcile.billing.engine import rupiah
    from isk_reconcile.gateway import configured_gateways, gateway_named
    from isk_reconcile.gateway.reconcile import missing_transactions

    state = ctx.state
    if gateway_names:
        gateways = {name: gateway_named(name, state.settings) for name in gateway_names}
    else:
        gateways = configured_gateways(state.settings)
    if not gateways:
        raise IskError(
            "no gateway key in the environment: set ISK_MIDTRANS_SERVER_KEY "
            "and/or ISK_XENDIT_SECRET_KEY"
        )
    found = missing_transactions(
        state, gateways, since, ctx.as_of, _git_dir(ctx.repo), list(orders)
    )
    for item in found:
        for entry in item.entries:
            click.echo(
                f"missing: {item.gateway} {item.order_id} {entry.kind} {entry.customer} "
                f"{rupiah(entry.amount)} {entry.method} on {entry.date} "
                f"(reference {entry.reference})"
            )
    click.echo(
        f"{sum(len(i.entries) for i in found)} ledger entries missing "
        f"({len(found)} transactions since {since})"
    )
    if not record or not found:
        return
    from isk_reconcile.gateway.receiver import record as record_entries
    from isk_reconcile.gitops.publish import Publisher

    publisher = Publisher(ctx.repo, remote, branch, _identity(author))
    for item in found:
        done = record_entries(publisher, item.entries)
        click.echo(
            f"{item.order_id}: {done.result} {' '.join(done.entries)}"
            + (f" ({done.commit[:7]})" if done.commit else "")
        )
