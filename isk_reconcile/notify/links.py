"""Payment links in reminders: the record of links made for invoices.

A reminder (invoice.upcoming, invoice.overdue) carries a payment link when
`payments.gateway` is set and `notify.payment_links` is on. The link is made at most once
per (invoice, amount) while it stays usable: every link made is appended to
`notifications/links/YYYY-MM.yaml` in the state repository (committed with the outbox),
and a later run, on any machine, reuses it until it is within `MIN_VALIDITY` of
expiring. So a rerun carries the same link, and a gateway is never asked twice for the
same thing.

`isk notify plan` never makes a link (no network, no gateway key): it shows the link it
would reuse or says one will be made. `isk notify send` makes missing links just before
the send, under the repository lock; the making itself (gateway/) is done by the command
line, which alone may use both packages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr

from isk_reconcile.notify.events import INVOICE_OVERDUE, INVOICE_UPCOMING, Notice
from isk_reconcile.notify.outbox import append_text, read_items
from isk_reconcile.state.model import State
from isk_reconcile.state.writer import yaml_scalar

LINKS_DIR = "notifications/links"
LINK_EVENTS = (INVOICE_UPCOMING, INVOICE_OVERDUE)
# A link about to expire is not worth sending: a new one is made instead.
MIN_VALIDITY = timedelta(hours=12)
PENDING = "[payment link: made when sent]"  # what `isk notify plan` shows in its place


class LinkRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice: StrictStr
    customer: StrictStr
    amount: StrictInt
    gateway: StrictStr
    order_id: StrictStr
    url: StrictStr
    made: datetime
    expires: datetime


def wants_link(state: State, notice: Notice) -> bool:
    """Whether this notice should carry a payment link for its invoice."""
    return (
        state.settings.payments.gateway is not None
        and state.settings.notify.payment_links
        and notice.event in LINK_EVENTS
        and notice.due > 0
        and "invoice" in notice.facts
    )


def read_links(repo: Path) -> list[LinkRecord]:
    return read_items(repo, LINKS_DIR, LinkRecord, "the link record must be a YAML list")


def usable_links(
    records: Iterable[LinkRecord], gateway: str | None, now: datetime
) -> dict[tuple[str, int], str]:
    """(invoice, amount) -> the newest link of `gateway` that stays valid long enough."""
    found: dict[tuple[str, int], str] = {}
    for record in records:  # oldest first: a newer link replaces an older one
        if record.gateway == gateway and record.expires - now >= MIN_VALIDITY:
            found[(record.invoice, record.amount)] = record.url
    return found


def append_link(repo: Path, record: LinkRecord) -> str:
    """Append and fsync (the caller holds the repository lock); the relative path."""
    relative = f"{LINKS_DIR}/{record.made:%Y-%m}.yaml"
    values = record.model_dump()
    values["made"] = record.made.isoformat(timespec="seconds")
    values["expires"] = record.expires.isoformat(timespec="seconds")
    lines = [
        f"{'- ' if not index else '  '}{name}: {yaml_scalar(value)}"
        for index, (name, value) in enumerate(values.items())
    ]
    header = "# Payment links made for reminders (append-only; docs/notifications.md)\n"
    append_text(repo, relative, "\n".join(lines) + "\n", header)
    return relative
