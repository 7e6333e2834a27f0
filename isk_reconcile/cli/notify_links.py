"""Payment links for reminders, made by `isk notify send` just before each send (the
command line is the one layer that may use both notify/ and gateway/).

A link already made for the same (invoice, amount) and still valid is reused (the record
in notifications/links/, notify/links.py), so a rerun carries the same link. When the
gateway cannot make one (down, refusing, its key not set), the reminder goes out without
a link, with the ISP's own payment details (`isp.payment`) as always, and the outbox
record says why: a reminder has a time window (the 1-day reminder cannot wait for
tomorrow), the link only saves the customer typing an account number, and the next
reminder tries again. After one failure no further link is tried in that run, so a dead
gateway costs one deadline, not one per customer."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from isk_reconcile.errors import IskError
from isk_reconcile.notify.gateways import clean
from isk_reconcile.notify.links import (
    PENDING,
    LinkRecord,
    append_link,
    read_links,
    usable_links,
)
from isk_reconcile.notify.planner import Item, render
from isk_reconcile.notify.templates import Templates
from isk_reconcile.state.lock import repository_lock
from isk_reconcile.state.model import State


def known_links(repo: Path, state: State, now: datetime) -> Mapping[tuple[str, int], str]:
    """What `isk notify plan` may show: links already made and still valid (no network)."""
    return usable_links(read_links(repo), state.settings.payments.gateway, now)


@dataclass
class LinkMaker:
    repo: Path
    state: State
    templates: Templates
    as_of: date
    clock: Callable[[], datetime]
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    failure: str = ""  # why this run makes no more links

    def prepare(self, item: Item) -> Item:
        """`item` with its link filled in (made now if need be), or without one."""
        if item.link != PENDING:
            return item
        url, note = self.link_for(item)
        ready = render(self.state, self.templates, item, url, self.as_of)
        return replace(ready, note=note)

    def link_for(self, item: Item) -> tuple[str, str]:
        invoice, amount = item.notice.facts["invoice"], item.notice.due
        now = self.clock()
        gateway_name = self.state.settings.payments.gateway
        found = usable_links(read_links(self.repo), gateway_name, now).get((invoice, amount))
        if found:
            return found, ""
        if not self.failure:
            try:
                return self.make(item, now), ""
            except IskError as problem:  # GatewayError is one; it never holds a key
                self.failure = clean(str(problem))
                click.echo(
                    f"warning: no payment link ({self.failure}): reminders go out without one",
                    err=True,
                )
        return "", f"sent without a payment link: {self.failure}"

    def make(self, item: Item, now: datetime) -> str:
        from isk_reconcile.gateway import gateway_named
        from isk_reconcile.gateway.base import Order, new_order_id
        from isk_reconcile.gateway.links import journal_path, remember

        settings = self.state.settings
        assert settings.payments.gateway is not None
        gateway = gateway_named(settings.payments.gateway, settings, self.environ)
        facts = item.notice.facts
        customer = self.state.customers[item.notice.customer or ""]
        start = date.fromisoformat(facts["period_start"])
        order = Order(
            order_id=new_order_id(customer.id, start, gateway.order_id_length),
            customer=customer.id,
            invoice=facts["invoice"],
            amount=item.notice.due,
            description=f"Internet {customer.id} {facts['period_start']}..{facts['period_end']}",
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            expiry_hours=settings.payments.link_expiry_hours,
        )
        link = gateway.create_link(order)  # under a deadline (gateway/http.py)
        record = LinkRecord(
            invoice=order.invoice,
            customer=customer.id,
            amount=order.amount,
            gateway=settings.payments.gateway,
            order_id=link.order_id,
            url=link.url,
            made=now,
            expires=_expiry(link.expires, now, order.expiry_hours),
        )
        with repository_lock(self.repo) as lock:  # held already by the send: re-entrant
            lock.record(f"notifications/links/{now:%Y-%m}.yaml", None, "isk notify send")
            append_link(self.repo, record)
        remember(journal_path(_git_dir(self.repo)), record.gateway, order, link, self.as_of)
        return link.url


def _expiry(text: str | None, now: datetime, hours: int) -> datetime:
    """The gateway's expiry when it gives one, else the one asked for."""
    if text:
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            found = None
        if found is not None and found.tzinfo is not None:
            return found.astimezone(now.tzinfo)
    return now + timedelta(hours=hours)


def _git_dir(repo: Path) -> Path | None:
    from isk_reconcile.cli.payments import _git_dir as git_dir

    return git_dir(repo)
