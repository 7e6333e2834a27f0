"""Sending a NotifyPlan: deliver each item, and append its record to the outbox at once
(before the next send), so a run that dies half-way has recorded what it sent."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from isk_reconcile.errors import IskError
from isk_reconcile.notify.gateways import Message, Reply, deliver
from isk_reconcile.notify.outbox import Record, append_record
from isk_reconcile.notify.planner import Item, NotifyPlan
from isk_reconcile.state.model import NotifySettings


@dataclass(frozen=True)
class Sent:
    item: Item
    reply: Reply


def missing_tokens(
    settings: NotifySettings, items: tuple[Item, ...], environ: Mapping[str, str]
) -> list[str]:
    needed: set[str | None] = set()
    for item in items:
        channel = settings.channels[item.channel]
        needed |= {channel.token_env, channel.user_env}
    return sorted(name for name in needed if name and not environ.get(name))


def send_plan(
    repo: Path,
    settings: NotifySettings,
    plan: NotifyPlan,
    environ: Mapping[str, str],
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[Sent], None] | None = None,
) -> tuple[list[Sent], set[str]]:
    """Deliver every item; returns what happened and the outbox files written."""
    missing = missing_tokens(settings, plan.items, environ)
    if missing:
        raise IskError(f"set {', '.join(missing)} (gateway tokens come from the environment)")
    results: list[Sent] = []
    written: set[str] = set()
    last_whatsapp: float | None = None
    for item in plan.items:
        if item.kind == "fonnte" and last_whatsapp is not None:
            # Unofficial WhatsApp gateways ban numbers that send in bursts.
            wait = settings.whatsapp_delay - (time.monotonic() - last_whatsapp)
            if wait > 0:
                sleep(wait)
        channel = settings.channels[item.channel]
        meta = {"event": item.notice.event, "key": item.key, "customer": item.notice.customer or ""}
        message = Message(item.to, item.message, meta, item.subject)
        reply = deliver(channel, message, environ)
        if item.kind == "fonnte":
            last_whatsapp = time.monotonic()
        record = Record(
            key=item.key,
            event=item.notice.event,
            customer=item.notice.customer,
            channel=item.channel,
            to=item.to,
            as_of=plan.as_of.isoformat(),
            time=clock(),
            ok=reply.ok,
            attempt=item.attempt,
            reply=reply.id,
            error=reply.error,
        )
        written.add(append_record(repo, record))
        sent = Sent(item, reply)
        results.append(sent)
        if progress is not None:
            progress(sent)
    return results, written
