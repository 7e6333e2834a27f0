"""`isk notify plan|send|log|preview`: customer and operator notifications
(docs/notifications.md). Also `post_operator_alerts`, which `isk apply` calls."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from isk_reconcile.cli.context import Context, _, current, pass_context
from isk_reconcile.cli.customers import no_such
from isk_reconcile.cli.notify_links import LinkMaker, known_links
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.notify.events import CUSTOMER_EVENTS, OPERATOR_EVENTS, Notice
from isk_reconcile.notify.gateways import clean
from isk_reconcile.notify.links import LINKS_DIR, PENDING
from isk_reconcile.notify.operator import apply_notices
from isk_reconcile.notify.outbox import OUTBOX_DIR, Outbox, read_records
from isk_reconcile.notify.planner import Item, NotifyPlan, context, expand, plan_notifications
from isk_reconcile.notify.sender import Sent, send_plan
from isk_reconcile.notify.templates import TemplateProblem, Templates
from isk_reconcile.state.model import State


def now_in(state: State) -> datetime:
    return datetime.now(ZoneInfo(state.settings.timezone))


def shown(text: str) -> str:
    """Repository text made safe for a terminal, newlines kept."""
    return "\n".join(clean(line, limit=10_000) if line else "" for line in text.splitlines())


def make_plan(ctx: Context, templates: Templates | None = None) -> NotifyPlan:
    """Made without network: payment links only as already made (notify/links.py)."""
    state: State = ctx.state
    outbox = Outbox.of(read_records(ctx.repo))
    now = now_in(state)
    links = known_links(ctx.repo, state, now)
    templates = templates or Templates(ctx.repo)
    return plan_notifications(state, outbox, templates, ctx.as_of, now, links)


@main.group("notify")
def notify_group() -> None:
    """Reminders and notices to customers; alerts to operators."""


def item_json(item: Item) -> dict[str, object]:
    notice = item.notice
    return {
        "event": notice.event,
        "customer": notice.customer,
        "channel": item.channel,
        "key": item.key,
        "to": item.to,
        "why": notice.why,
        "attempt": item.attempt,
        "message": item.message,
        **({"subject": item.subject} if item.subject else {}),
        **({"payment_link": _link_text(item.link)} if item.link else {}),
    }


def _link_text(link: str) -> str:
    return "made when sent" if link == PENDING else link


def plan_json(plan: NotifyPlan) -> dict[str, object]:
    def skip(entry) -> dict[str, object]:  # noqa: ANN001
        notice = entry.notice
        return {
            "event": notice.event,
            "customer": notice.customer,
            "channel": entry.channel,
            "key": notice.key,
            "reason": entry.reason,
        }

    return {
        "as_of": plan.as_of.isoformat(),
        "items": [item_json(item) for item in plan.items],
        "deferred": [item_json(item) for item in plan.deferred],
        "skipped": [skip(entry) for entry in plan.skipped],
        "errors": [skip(entry) for entry in plan.errors],
    }


def show_plan(plan: NotifyPlan) -> None:
    tr = current()
    click.echo(
        _(
            "Notifications for %(day)s: %(send)s to send, %(deferred)s over the per-run cap, "
            "%(skipped)s held back, %(errors)s error(s)",
            day=tr.day(plan.as_of),
            send=len(plan.items),
            deferred=len(plan.deferred),
            skipped=len(plan.skipped),
            errors=len(plan.errors),
        )
    )
    for item in plan.items:
        who = item.notice.customer or _("operators")
        retry = " " + _("(attempt %(n)s)", n=item.attempt) if item.attempt > 1 else ""
        via = _("via %(channel)s to %(to)s", channel=item.channel, to=clean(item.to))
        click.echo(f"+ {item.notice.event} {clean(who)} {via}{retry}")
        click.echo(f"    {_('why')}: {clean(tr.text(item.notice.why))}")
        if item.subject:
            click.echo(f"    {_('subject')}: {clean(item.subject)}")
        if item.link:
            click.echo(f"    {_('payment link')}: {clean(_link_text(item.link))}")
        for line in shown(item.message).splitlines():
            click.echo(f"    | {line}")
    for item in plan.deferred:
        who = item.notice.customer or _("operators")
        later = _("next run (over the cap)")
        click.echo(
            f"> {item.notice.event} {who} {_('via %(channel)s', channel=item.channel)}: {later}"
        )
    for entry in plan.skipped:
        who = entry.notice.customer or _("operators")
        reason = clean(tr.text(entry.reason))
        via = _("via %(channel)s", channel=entry.channel)
        click.echo(f"- {entry.notice.event} {clean(who)} {via}: {reason}")
    show_errors(plan)


def show_errors(plan: NotifyPlan) -> None:
    for entry in plan.errors:
        reason = clean(current().text(entry.reason))
        problem = f"{entry.notice.key} {_('via %(channel)s', channel=entry.channel)}: {reason}"
        click.echo(_("error: %(problem)s", problem=problem), err=True)


@notify_group.command("plan")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def plan_command(ctx: Context, fmt: str) -> None:
    """What `isk notify send` would send now, to whom, and why."""
    plan = make_plan(ctx)
    if fmt == "json":
        click.echo(json.dumps(plan_json(plan), indent=2, ensure_ascii=False))
        show_errors(plan)
    else:
        show_plan(plan)
    if plan.errors:
        raise click.exceptions.Exit(1)


def show_sent(sent: Sent) -> None:
    item, reply = sent.item, sent.reply
    who = clean(item.notice.customer or "operators")
    if reply.ok:
        click.echo(
            _(
                "sent %(event)s %(who)s via %(channel)s",
                event=item.notice.event,
                who=who,
                channel=item.channel,
            )
            + (f" (id {reply.id})" if reply.id else "")
        )
    else:
        failed = _(
            "%(event)s %(who)s via %(channel)s failed: %(error)s",
            event=item.notice.event,
            who=who,
            channel=item.channel,
            error=current().text(str(reply.error)),
        )
        click.echo(_("warning: %(message)s", message=failed), err=True)


def commit_outbox(repo: Path, message: str) -> None:
    """Commit the outbox and link records (only those) under the repository lock, like
    `isk pay`."""
    from isk_reconcile.gitops.history import changed_files, commit_files
    from isk_reconcile.state.lock import repository_lock

    with repository_lock(repo):
        paths = changed_files(repo, OUTBOX_DIR) + changed_files(repo, LINKS_DIR)
        if paths:
            sha = commit_files(repo, paths, message)
            click.echo(f"committed the outbox ({sha})")


@notify_group.command("send")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--commit", "commit", is_flag=True, help="Commit the outbox afterwards (CI).")
@pass_context
def send_command(ctx: Context, dry_run: bool, commit: bool) -> None:
    """Send what `isk notify plan` shows, recording each attempt in the outbox."""
    state: State = ctx.state
    repo = ctx.repo
    if dry_run:
        plan = make_plan(ctx)
        show_plan(plan)
        click.echo(_("dry run: nothing sent"))
        return
    # The plan is made without the lock; each send re-checks the outbox under it.
    templates = Templates(repo)
    plan = make_plan(ctx, templates)
    show_errors(plan)
    links = LinkMaker(repo, state, templates, ctx.as_of, lambda: now_in(state))
    results, _outbox = send_plan(
        repo,
        state.settings.notify,
        plan,
        os.environ,
        clock=lambda: now_in(state),
        progress=show_sent,
        prepare=links.prepare,
        warn=lambda text: click.echo(_("warning: %(message)s", message=text), err=True),
    )
    failed = sum(1 for sent in results if not sent.reply.ok)
    click.echo(
        _(
            "%(sent)s sent, %(failed)s failed (retried next run), %(left)s left for the next run",
            sent=len(results) - failed,
            failed=failed,
            left=len(plan.deferred),
        )
    )
    if commit:
        commit_outbox(repo, f"notify: {ctx.as_of}: {len(results) - failed} sent, {failed} failed")
    if plan.errors:
        raise click.exceptions.Exit(1)


@notify_group.command("log")
@click.option("--customer", "customer", help="Only this customer's notifications.")
@pass_context
def log_command(ctx: Context, customer: str | None) -> None:
    """Every recorded notification attempt, oldest first."""
    records = read_records(ctx.repo)
    shown_any = False
    for record in records:
        if customer is not None and record.customer != customer:
            continue
        shown_any = True
        outcome = f"ok {record.reply}".rstrip() if record.ok else f"{_('FAILED')} {record.error}"
        who = clean(record.customer or _("operators"))
        via = _("via %(channel)s to %(to)s", channel=clean(record.channel), to=clean(record.to))
        # the time stays ISO with its offset: the outbox's record, to the second
        click.echo(
            f"{record.time.isoformat(timespec='seconds')} {who} {clean(record.event)} {via}: "
            f"{clean(outcome)} [{clean(record.key)}]"
        )
    if not shown_any:
        if customer:
            click.echo(_("no notifications recorded for %(customer)s", customer=customer))
        else:
            click.echo(_("no notifications recorded"))


SAMPLE_FACTS = {
    "invoice": "sample/2026-01-01",
    "amount": "Rp150.000",
    "due_date": "2026-01-01",
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "days": "3",
    "grace_end": "2026-01-04",
    "reason": "unpaid invoice sample/2026-01-01",
    "cause": "unpaid",
    "paid_through": "2026-01-31",
    "payment_date": "2026-01-01",
    "payment_reference": "P-2026-01-0001",
    "end_date": "2026-01-31",
    "router": "core",
    "error": "connection refused",
    "summary": "core: 2 write(s) (1 disable, 1 enable)",
    "failed_key": "invoice.upcoming:sample/2026-01-01:3",
    "failed_channel": "wa",
    "failed_customer": "sample",
    "attempts": "5",
}


@notify_group.command("preview")
@click.argument("event", type=click.Choice([*CUSTOMER_EVENTS, *OPERATOR_EVENTS]))
@click.option("--customer", "customer_id", help="Fill in this customer's name and package.")
@click.option("--language", type=click.Choice(["id", "en"]), help="Default: settings.language.")
@pass_context
def preview_command(
    ctx: Context, event: str, customer_id: str | None, language: str | None
) -> None:
    """Render EVENT's template (the repository's override if any) with sample values."""
    state: State = ctx.state
    customer = None
    if customer_id is not None:
        customer = state.customers.get(customer_id)
        if customer is None:
            raise no_such("customer", customer_id, state.customers)
    notice = Notice(
        key="preview", event=event, customer=customer_id, why="preview", facts=SAMPLE_FACTS
    )
    values = {"name": "Budi Santoso", "customer": "sample", "package": "home-10m"}
    values.update(context(state, notice, customer, ctx.as_of))
    if state.settings.payments.gateway and state.settings.notify.payment_links:
        values["payment_link"] = "https://pay.example/sample"
    templates, language = Templates(ctx.repo), language or state.settings.language
    try:
        subject = templates.render_subject(language, event, values)
        text = templates.render(language, event, values)
    except TemplateProblem as problem:
        raise IskError(str(problem)) from None
    click.echo(f"{_('subject')}: {clean(subject)}")  # what an e-mail channel sends as subject
    click.echo(shown(text))


def post_operator_alerts(ctx: Context, plan, report) -> None:  # noqa: ANN001
    """Called by `isk apply`: post router.unreachable / drift / apply.failed / apply.summary
    to the operators' channels. A failure here is a warning: the apply itself stands."""
    state: State = ctx.state
    settings = state.settings.notify
    if not settings.operators or not settings.apply_summary:
        return
    now = now_in(state)
    try:
        notices = apply_notices(plan, report, ctx.as_of, now)
        if not notices:
            return
        outbox = Outbox.of(read_records(ctx.repo))
        alerts = expand(state, outbox, Templates(ctx.repo), notices, ctx.as_of, now)
        send_plan(
            ctx.repo,
            settings,
            alerts,
            os.environ,
            clock=lambda: now_in(state),
            progress=show_sent,
        )
    except (IskError, OSError) as problem:  # OSError: the outbox could not be written
        click.echo(f"warning: operator alert not sent: {problem}", err=True)
