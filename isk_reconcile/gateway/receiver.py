"""What `isk serve` does with one callback, and how a transaction becomes committed ledger
entries (shared with `isk payments reconcile --record`).

A callback is believed only after two checks: its signature (or token) matches, and the
gateway's status API, asked again by us, says the same order exists with the same amount.
What gets written then comes from the status API's answer, never from the callback body,
so a late or out-of-order callback records the transaction's true state.

Answers: 2xx whenever the gateway should stop retrying (recorded, already recorded,
nothing to record, not one of our orders); 4xx for a callback that fails verification or
disagrees with the status API; 503 when we could not finish (the gateway retries later).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from isk_reconcile.billing.engine import rupiah
from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.gateway.base import (
    Gateway,
    Refused,
    Transaction,
    parse_order_id,
)
from isk_reconcile.gateway.ledger import entries_for, missing
from isk_reconcile.gitops.publish import Publisher, PublishError
from isk_reconcile.state.model import State
from isk_reconcile.state.writer import NewEntry, add_entry

MAX_ATTEMPTS = 5
Log = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Recorded:
    result: Literal["recorded", "duplicate", "unknown-customer"]
    entries: tuple[str, ...] = ()  # ledger ids of the transaction's entries
    commit: str | None = None
    state: State | None = field(default=None, repr=False)


def _load(repo: Path) -> State:
    from isk_reconcile.state.loader import load_state

    return load_state(repo)


def _message(written: Sequence[tuple[str, NewEntry]]) -> str:
    lines = [
        f"{entry.kind}: {entry_id} {entry.customer} {rupiah(entry.amount)} {entry.method}"
        f" ({entry.note}, {entry.reference})"
        for entry_id, entry in written
    ]
    subject = lines[0] if len(lines) == 1 else f"payments: {len(lines)} gateway entries"
    return subject + ("\n\n" + "\n".join(lines) if len(lines) > 1 else "")


def record(publisher: Publisher, wanted: Sequence[NewEntry]) -> Recorded:
    """Write the wanted entries the ledger lacks, commit, push; exactly once per entry.

    Under the clone's lock: pull (rebase), load and validate, skip entries already
    recorded (by kind and reference), append the rest with `add_entry` (next free id,
    byte-preserving, validated), commit, push. A refused push repeats the cycle.
    """
    if not wanted:
        return Recorded("duplicate")
    customer = wanted[0].customer
    repo = publisher.repo
    wrote_any = False
    with publisher.lock():
        for _ in range(MAX_ATTEMPTS):
            publisher.sync()
            state = _valid_state(publisher)
            if customer not in state.customers:
                return Recorded("unknown-customer")
            written: list[tuple[str, NewEntry]] = []
            paths: set[str] = set()
            for entry in missing(wanted, state.ledger):
                entry_id, relpath, state = add_entry(repo, state, entry)
                written.append((entry_id, entry))
                paths.add(relpath)
            sha = publisher.commit(sorted(paths), _message(written)) if written else None
            wrote_any = wrote_any or bool(written)
            if not publisher.ahead() or publisher.push():
                ids = _ids_of(wanted, state)
                return Recorded("recorded" if wrote_any else "duplicate", ids, sha, state)
    raise PublishError(f"could not push to {publisher.branch} after {MAX_ATTEMPTS} attempts")


def _valid_state(publisher: Publisher) -> State:
    """The clone's state; when a rebase left it invalid, the remote branch's state."""
    try:
        return _load(publisher.repo)
    except ValidationFailed:
        publisher.reset()
        return _load(publisher.repo)


def _ids_of(wanted: Sequence[NewEntry], state: State) -> tuple[str, ...]:
    keys = {(entry.kind, entry.reference) for entry in wanted}
    return tuple(entry.id for entry in state.ledger if (entry.kind, entry.reference) in keys)


class Receiver:
    """Callbacks in, ledger commits out. Thread-safe: writes are serialised."""

    def __init__(
        self,
        publisher: Publisher,
        gateways: Mapping[str, Gateway],
        log: Log,
        today: Callable[[], date],
        after_record: Callable[[Recorded, str], None] | None = None,
    ) -> None:
        self.publisher = publisher
        self.gateways = gateways
        self.log = log
        self.today = today
        self.after_record = after_record
        self._writing = threading.Lock()

    def handle(
        self, gateway_name: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON answer) for one callback; every outcome is logged once."""
        event: dict[str, Any] = {"event": "callback", "gateway": gateway_name[:40]}
        try:
            status, answer = self._handle(gateway_name, headers, body, event)
        except Refused as refused:
            status, answer = refused.status, {"status": "refused", "reason": refused.reason}
        except IskError as problem:  # gateway or git unreachable, repository invalid: later
            status, answer = 503, {"status": "retry", "reason": str(problem)[:300]}
        except Exception as problem:  # a bug: logged (type only: its text could hold a secret)
            status, answer = (
                500,
                {"status": "retry", "reason": f"internal error {type(problem).__name__}"},
            )
        event.update(answer)
        event["http_status"] = status
        self.log(event)
        return status, answer

    def _handle(
        self,
        gateway_name: str,
        headers: Mapping[str, str],
        body: bytes,
        event: dict[str, Any],
    ) -> tuple[int, dict[str, Any]]:
        gateway = self.gateways.get(gateway_name)
        if gateway is None:
            raise Refused(f"no gateway {gateway_name[:40]!r} is configured", 404)
        notice = gateway.verify(headers, body)
        event.update(order_id=notice.order_id[:100], claimed=notice.claimed_status[:40])
        if parse_order_id(notice.order_id) is None:
            return 200, {"status": "ignored", "reason": "not an order made by isk"}
        found = gateway.status(notice.lookup)
        _check(notice.order_id, notice.claimed_amount, notice.claimed_status, found)
        assert found is not None
        event.update(transaction=found.transaction_id[:100], outcome=found.outcome)
        wanted = entries_for(found, self.today())
        if not wanted:
            return 200, {"status": "no change", "reason": f"transaction is {found.raw_status}"}
        with self._writing:
            done = record(self.publisher, wanted)
        if done.result == "unknown-customer":
            return 200, {"status": "ignored", "reason": f"no customer {wanted[0].customer}"}
        if done.result == "recorded" and self.after_record is not None:
            self.after_record(done, wanted[0].customer)
        answer: dict[str, Any] = {"status": done.result, "entries": list(done.entries)}
        if done.commit:
            answer["commit"] = done.commit
        return 200, answer


PAID_CLAIMS = frozenset({"settlement", "capture", "PAID", "SETTLED"})


def _check(
    order_id: str, claimed_amount: int | None, claimed_status: str, found: Transaction | None
) -> None:
    """The status API must confirm what the callback says before anything is believed."""
    if found is None:
        raise Refused(f"the gateway's status API does not know order {order_id[:100]}", 409)
    if found.order_id != order_id:
        raise Refused(
            f"the status API reports order {found.order_id[:100]}, not {order_id[:100]}", 409
        )
    if claimed_amount is not None and claimed_amount != found.amount:
        raise Refused(
            f"amount mismatch: callback says {claimed_amount}, status API says {found.amount}",
            409,
        )
    if claimed_status in PAID_CLAIMS and found.outcome not in ("settled", "refunded"):
        raise Refused(
            f"callback says {claimed_status[:40]} but the status API says {found.raw_status}",
            409,
        )
