"""What `isk notify send` would send now, and why (pure: state, outbox, as_of, now).

Per notice and channel: skipped when sent already, opted out, without a recipient,
waiting for its retry time, or given up after `max_attempts` failures (then operators get
one notify.failed notice). Everything else becomes an Item with its rendered message;
items beyond `max_per_run` are deferred to the next run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from isk_reconcile.notify.events import (
    INVOICE_OVERDUE,
    NOTIFY_FAILED,
    SERVICE_RESUMED,
    SERVICE_SUSPENDED,
    Notice,
    customer_notices,
)
from isk_reconcile.notify.links import PENDING, wants_link
from isk_reconcile.notify.outbox import Outbox
from isk_reconcile.notify.phone import normalize_phone
from isk_reconcile.notify.templates import TemplateProblem, Templates
from isk_reconcile.render.i18n import translator
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State
from isk_reconcile.state.settings import EMAIL_ADDRESS, NotifyChannel

PHONE_KINDS = ("fonnte", "smseagle")  # channels that send to a phone number (62...)
# Sent first when the cap cuts a run short: what changes a customer's service today.
_PRIORITY = {SERVICE_SUSPENDED: 0, SERVICE_RESUMED: 1, INVOICE_OVERDUE: 2}


@dataclass(frozen=True)
class Item:
    notice: Notice
    channel: str
    kind: str
    to: str
    message: str
    attempt: int  # 1 for the first try
    subject: str = ""  # email channels only
    link: str = ""  # the payment link in the message; links.PENDING: made when sent
    note: str = ""  # recorded with the attempt (e.g. sent without its link)

    @property
    def key(self) -> str:
        return self.notice.key


@dataclass(frozen=True)
class Skip:
    notice: Notice
    channel: str
    reason: str


@dataclass(frozen=True)
class NotifyPlan:
    as_of: date
    items: tuple[Item, ...]  # to send now, in order
    deferred: tuple[Item, ...]  # over the per-run cap: next run
    skipped: tuple[Skip, ...]  # held back (opted out, no recipient, waiting, gave up)
    errors: tuple[Skip, ...]  # cannot be sent as configured (a template problem)


def plan_notifications(
    state: State,
    outbox: Outbox,
    templates: Templates,
    as_of: date,
    now: datetime,
    links: Mapping[tuple[str, int], str] | None = None,
) -> NotifyPlan:
    """Customer notices that hold on as_of, and operator notices of given-up sends.
    `links`: usable payment links by (invoice, amount) (notify/links.py)."""
    settings = state.settings.notify
    notices = customer_notices(state, as_of, outbox.told) if settings.customers else []
    notices = sorted(notices, key=lambda n: (_PRIORITY.get(n.event, 9), n.customer or "", n.key))
    everything = failure_notices(state, outbox) + notices
    return expand(state, outbox, templates, everything, as_of, now, links or {})


def expand(
    state: State,
    outbox: Outbox,
    templates: Templates,
    notices: list[Notice],
    as_of: date,
    now: datetime,
    links: Mapping[tuple[str, int], str] | None = None,
) -> NotifyPlan:
    """Each notice on each of its channels (operators' for operator notices), capped."""
    settings = state.settings.notify
    items: list[Item] = []
    skipped: list[Skip] = []
    errors: list[Skip] = []
    for notice in notices:
        for name in settings.operators if notice.customer is None else settings.customers:
            outcome = plan_one(state, outbox, templates, notice, name, as_of, now, links or {})
            if isinstance(outcome, Item):
                items.append(outcome)
            elif outcome is not None and outcome.reason.startswith("template"):
                errors.append(outcome)
            elif outcome is not None:
                skipped.append(outcome)
    cap = settings.max_per_run
    return NotifyPlan(as_of, tuple(items[:cap]), tuple(items[cap:]), tuple(skipped), tuple(errors))


def plan_one(
    state: State,
    outbox: Outbox,
    templates: Templates,
    notice: Notice,
    name: str,
    as_of: date,
    now: datetime,
    links: Mapping[tuple[str, int], str],
) -> Item | Skip | None:
    settings = state.settings.notify
    channel = settings.channels[name]
    if (notice.key, name) in outbox.sent:
        return None
    customer = state.customers.get(notice.customer) if notice.customer else None
    if customer is not None and ({name, "all"} & set(customer.notify.opt_out)):
        return Skip(notice, name, "opted out")
    to = recipient(channel, customer)
    if not to:
        return Skip(notice, name, f"no recipient for {channel.kind}")
    failures = outbox.failed_times(notice.key, name)
    if len(failures) >= settings.max_attempts:
        return Skip(notice, name, f"gave up after {len(failures)} failed attempts")
    retry_at = outbox.retry_at(notice.key, name, timedelta(minutes=settings.retry_minutes))
    if retry_at is not None and now < retry_at:
        return Skip(
            notice, name, f"failed {len(failures)}x, next try after {retry_at:%Y-%m-%d %H:%M}"
        )
    link = ""
    if wants_link(state, notice):
        link = links.get((notice.facts["invoice"], notice.due), PENDING)
    item = Item(notice, name, channel.kind, to, "", len(failures) + 1)
    try:
        return render(state, templates, item, link, as_of)
    except TemplateProblem as problem:
        return Skip(notice, name, f"template: {problem}")


def render(state: State, templates: Templates, item: Item, link: str, as_of: date) -> Item:
    """`item` with its message (and e-mail subject) rendered, `link` as payment_link.
    Also how `isk notify send` puts in a link made just before the send."""
    customer = state.customers.get(item.notice.customer) if item.notice.customer else None
    values = context(state, item.notice, customer, as_of)
    values["payment_link"] = link
    language = state.settings.language
    text = templates.render(language, item.notice.event, values)
    subject = ""
    if item.kind == "email":
        subject = templates.render_subject(language, item.notice.event, values)
    return replace(item, message=text, subject=subject, link=link)


def recipient(channel: NotifyChannel, customer: Customer | None) -> str | None:
    """Where a message on `channel` goes: the channel's fixed `to` (operators), else the
    customer's own address for this kind of channel."""
    if customer is None or channel.to:
        if channel.kind in PHONE_KINDS:
            return normalize_phone(channel.to)
        return channel.to
    if channel.kind in PHONE_KINDS:
        return normalize_phone(customer.phone)
    if channel.kind == "telegram":
        return customer.notify.telegram
    if channel.kind == "email":
        email = (customer.email or "").strip()
        return email if EMAIL_ADDRESS.match(email) else None
    # A webhook goes to the ISP's own system, which routes it: say who it is for.
    return normalize_phone(customer.phone) or customer.email or customer.id


def context(state: State, notice: Notice, customer: Customer | None, as_of: date) -> dict[str, str]:
    """Template variables: plain strings only (never a password)."""
    isp = state.settings.isp
    values = {
        "isp_name": isp.name,
        "isp_contact": isp.contact,
        "payment_info": isp.payment,
        "payment_link": "",
        "as_of": as_of.isoformat(),
        "event": notice.event,
    }
    if customer is not None:
        values.update(
            {
                "name": customer.name,
                "customer": customer.id,
                "package": customer.profile_on(as_of) or customer.profile.first,
            }
        )
    values.update(notice.facts)
    if values.get("reason"):
        # The core's reason is an English sentence: shown in the message's language, like
        # the reasons on the dashboard (untranslatable text stays as it is). Babel's
        # no-break spaces become plain ones: one character outside GSM-7 makes an SMS
        # UCS-2, 70 characters a part instead of 160.
        reason = translator(state.settings.language).text(values["reason"])
        values["reason"] = reason.replace("\u00a0", " ").replace("\u202f", " ")
    return values


def failure_notices(state: State, outbox: Outbox) -> list[Notice]:
    """One notify.failed notice per (key, channel) that has used up its attempts."""
    settings = state.settings.notify
    if not settings.operators:
        return []
    last_error: dict[tuple[str, str], tuple[str, str]] = {}
    for record in outbox.records:
        if not record.ok:
            last_error[(record.key, record.channel)] = (record.customer or "", record.error)
    found = []
    for (key, name), times in sorted(outbox.failures.items()):
        if key.startswith(NOTIFY_FAILED) or len(times) < settings.max_attempts:
            continue
        if (key, name) in outbox.sent:
            continue
        customer, error = last_error.get((key, name), ("", ""))
        found.append(
            Notice(
                key=f"{NOTIFY_FAILED}:{key}:{name}",
                event=NOTIFY_FAILED,
                customer=None,
                why=f"{key} on {name} failed {len(times)} times",
                facts={
                    "failed_key": key,
                    "failed_channel": name,
                    "failed_customer": customer or "-",
                    "attempts": str(len(times)),
                    "error": error or "-",
                },
            )
        )
    return found
