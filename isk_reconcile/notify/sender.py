"""Sending a NotifyPlan: deliver each item, and append its record to the outbox at once
(before the next send), so a run that dies half-way has recorded what it sent.

Each send and its record happen under the repository's write lock (state/lock.py), the
lock `isk pay`, `isk customer add` and the payment receiver hold: the outbox is written
by one writer at a time, and a commit never interleaves with another command's. The lock
is taken per item, not for the whole run, because a run with the WhatsApp delay can take
many minutes and `isk pay` (which waits at most state/lock.py's WAIT_SECONDS) must not
time out behind it. Under the lock the outbox is read again when another writer has
appended since: an item that another run sent (or tried) meanwhile is left alone, so two
runs at once never send the same notification twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from isk_reconcile.errors import IskError
from isk_reconcile.notify.gateways import Message, Reply, deliver
from isk_reconcile.notify.links import PENDING
from isk_reconcile.notify.outbox import (
    Outbox,
    Record,
    append_record,
    outbox_path,
    read_records,
    signature,
)
from isk_reconcile.notify.planner import Item, NotifyPlan
from isk_reconcile.state.lock import WriteLock, repository_lock
from isk_reconcile.state.settings import NotifySettings

COMMAND = "isk notify send"


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


@dataclass
class _View:
    """The outbox as this run last saw it, and the files' signature then."""

    outbox: Outbox
    seen: tuple[tuple[str, int, int], ...]

    def refresh(self, repo: Path) -> None:
        now = signature(repo)
        if now != self.seen:  # another writer appended: read it all again
            self.outbox = Outbox.of(read_records(repo))
            self.seen = now

    def still_due(self, item: Item) -> bool:
        """Not sent, and tried exactly as often as when the plan was made."""
        pair = (item.key, item.channel)
        tried = len(self.outbox.failed_times(*pair))
        return pair not in self.outbox.sent and tried == item.attempt - 1


def send_plan(
    repo: Path,
    settings: NotifySettings,
    plan: NotifyPlan,
    environ: Mapping[str, str],
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[Sent], None] | None = None,
    prepare: Callable[[Item], Item] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[list[Sent], set[str]]:
    """Deliver every item still due; returns what happened and the outbox files written.
    `prepare` (under the lock, just before the send) may complete an item, e.g. with its
    payment link; `warn` hears of writes an earlier, interrupted writer left behind."""
    missing = missing_tokens(settings, plan.items, environ)
    if missing:
        raise IskError(f"set {', '.join(missing)} (gateway tokens come from the environment)")
    if prepare is None and any(item.link == PENDING for item in plan.items):
        raise IskError("payment links are wanted but nothing makes them")  # never a placeholder
    results: list[Sent] = []
    written: set[str] = set()
    view = _View(Outbox(), ())
    last_whatsapp: float | None = None
    for item in plan.items:
        if item.kind == "fonnte" and last_whatsapp is not None:
            # Unofficial WhatsApp gateways ban numbers that send in bursts.
            wait = settings.whatsapp_delay - (time.monotonic() - last_whatsapp)
            if wait > 0:
                sleep(wait)  # outside the lock: other writers go ahead meanwhile
        with repository_lock(repo) as lock:
            for write in lock.interrupted if warn is not None else ():
                warn(f"unfinished earlier write: {write.describe()}")
            view.refresh(repo)
            if not view.still_due(item):
                continue
            ready = prepare(item) if prepare is not None else item
            reply = _send_one(repo, lock, settings, ready, environ, plan, clock, view, written)
        if item.kind == "fonnte":
            last_whatsapp = time.monotonic()
        sent = Sent(ready, reply)
        results.append(sent)
        if progress is not None:
            progress(sent)
    return results, written


def _send_one(
    repo: Path,
    lock: WriteLock,
    settings: NotifySettings,
    item: Item,
    environ: Mapping[str, str],
    plan: NotifyPlan,
    clock: Callable[[], datetime],
    view: _View,
    written: set[str],
) -> Reply:
    """Send one item and append its record (the caller holds the lock)."""
    if item.link == PENDING:
        raise IskError(f"{item.key}: its payment link was not filled in")
    # Journalled before the send: a run killed between the send and its record is
    # reported by the next writer (the message may have gone out unrecorded).
    lock.record(outbox_path(clock()), None, COMMAND)
    reply = _deliver(settings, item, environ)
    record = _record(item, reply, plan, clock())
    written.add(append_record(repo, record))
    view.outbox.add(record)
    view.seen = signature(repo)
    return reply


def _deliver(settings: NotifySettings, item: Item, environ: Mapping[str, str]) -> Reply:
    channel = settings.channels[item.channel]
    meta = {"event": item.notice.event, "key": item.key, "customer": item.notice.customer or ""}
    return deliver(channel, Message(item.to, item.message, meta, item.subject), environ)


def _record(item: Item, reply: Reply, plan: NotifyPlan, when: datetime) -> Record:
    return Record(
        key=item.key,
        event=item.notice.event,
        customer=item.notice.customer,
        channel=item.channel,
        to=item.to,
        as_of=plan.as_of.isoformat(),
        time=when,
        ok=reply.ok,
        attempt=item.attempt,
        reply=reply.id,
        error=reply.error,
        note=item.note,
    )
