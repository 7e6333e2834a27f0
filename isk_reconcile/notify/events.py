"""Customer notification events, derived purely from (State, as_of, what was told).

Each event holds while its condition holds, not on one exact day, so a missed daily run
catches up and a rerun finds the same keys (which the outbox marks as sent):

- invoice.upcoming: an unpaid invoice due in 1..N days, for the smallest configured N
  that is >= the days left (a reminder whose window has passed is superseded by the
  next, never sent late);
- invoice.overdue: an unpaid invoice past due, within grace (not yet suspended);
- payment.received: a payment dated in the last `lookback_days`;
- service.terminated: a termination whose end date is in the last `lookback_days`;
- service.suspended / service.resumed: the customer's access differs from what the
  customer was last told (`told`, read from the outbox), numbered per customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from isk_reconcile.billing.engine import Standing, rupiah, standings
from isk_reconcile.billing.invoices import Invoice, counted_entries, invoices
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State

INVOICE_UPCOMING = "invoice.upcoming"
INVOICE_OVERDUE = "invoice.overdue"
SERVICE_SUSPENDED = "service.suspended"
SERVICE_RESUMED = "service.resumed"
PAYMENT_RECEIVED = "payment.received"
SERVICE_TERMINATED = "service.terminated"
ROUTER_UNREACHABLE = "router.unreachable"
APPLY_FAILED = "apply.failed"
APPLY_SUMMARY = "apply.summary"
DRIFT_DETECTED = "drift.detected"
NOTIFY_FAILED = "notify.failed"  # a notification failed max_attempts times

CUSTOMER_EVENTS = (
    INVOICE_UPCOMING,
    INVOICE_OVERDUE,
    SERVICE_SUSPENDED,
    SERVICE_RESUMED,
    PAYMENT_RECEIVED,
    SERVICE_TERMINATED,
)
OPERATOR_EVENTS = (ROUTER_UNREACHABLE, APPLY_FAILED, APPLY_SUMMARY, DRIFT_DETECTED, NOTIFY_FAILED)
STATUS_EVENTS = (SERVICE_SUSPENDED, SERVICE_RESUMED)


@dataclass(frozen=True)
class Told:
    """The last status notice (suspended/resumed) attempted for a customer."""

    key: str
    event: str
    number: int  # the n of "<event>:<customer>:<n>"
    delivered: bool  # delivered on at least one channel


@dataclass(frozen=True)
class Notice:
    key: str  # unique per notification; with the channel, what the outbox marks sent
    event: str
    customer: str | None  # None: for operators
    why: str  # the condition that holds, for `isk notify plan`
    facts: Mapping[str, str] = field(default_factory=dict)  # template variables
    due: int = 0  # rupiah still owed on the notice's invoice (reminders): a link's amount


def customer_notices(
    state: State, as_of: date, told: Mapping[str, Told] | None = None
) -> list[Notice]:
    """Every customer notice whose condition holds on as_of, in customer order."""
    told = told or {}
    settings = state.settings.notify
    every = standings(state, as_of)
    notices: list[Notice] = []
    for cid, customer in sorted(state.customers.items()):
        if customer.status == "free":
            continue
        current = every[cid]
        notices += upcoming(state, customer, as_of, settings.reminder_days)
        notices += overdue(state, current, as_of)
        notices += status_change(current, told.get(cid))
        notices += received(state, customer, current, as_of, settings.lookback_days)
        notices += terminated(customer, as_of, settings.lookback_days)
    return notices


def _invoice_facts(invoice: Invoice) -> dict[str, str]:
    return {
        "invoice": invoice.id,
        "amount": rupiah(invoice.outstanding),
        "due_date": invoice.due.isoformat(),
        "period_start": invoice.period.start.isoformat(),
        "period_end": invoice.period.end.isoformat(),
        "package": invoice.profile,
    }


def upcoming(
    state: State, customer: Customer, as_of: date, reminder_days: tuple[int, ...]
) -> list[Notice]:
    if not reminder_days:
        return []
    horizon = as_of + timedelta(days=max(reminder_days))
    # Only money known on as_of counts: a payment dated later has not arrived yet.
    known = counted_entries(state.entries_for(customer.id), as_of)
    found = []
    for invoice in invoices(customer, state, known, horizon):
        left = (invoice.due - as_of).days
        if invoice.status == "paid" or left < 1:
            continue
        window = min((n for n in reminder_days if n >= left), default=None)
        if window is None:
            continue
        facts = {**_invoice_facts(invoice), "days": str(left)}
        found.append(
            Notice(
                key=f"{INVOICE_UPCOMING}:{invoice.id}:{window}",
                event=INVOICE_UPCOMING,
                customer=customer.id,
                why=f"invoice {invoice.id} ({facts['amount']}) due {invoice.due} in {left} "
                f"day(s): the {window}-day reminder",
                facts=facts,
                due=invoice.outstanding,
            )
        )
    return found


def overdue(state: State, current: Standing, as_of: date) -> list[Notice]:
    if current.access != "enabled" or current.cause != "paid":
        return []
    grace = timedelta(days=state.settings.billing.grace_days)
    found = []
    for invoice in current.invoices:
        if invoice.status == "paid" or not invoice.due <= as_of <= invoice.due + grace:
            continue
        grace_end = invoice.due + grace
        facts = {**_invoice_facts(invoice), "grace_end": grace_end.isoformat()}
        found.append(
            Notice(
                key=f"{INVOICE_OVERDUE}:{invoice.id}",
                event=INVOICE_OVERDUE,
                customer=current.customer,
                why=f"invoice {invoice.id} ({facts['amount']}) was due {invoice.due}, "
                f"grace ends on {grace_end}",
                facts=facts,
                due=invoice.outstanding,
            )
        )
    return found


def status_change(current: Standing, last: Told | None) -> list[Notice]:
    """Suspended now and not told so (or told, but not on every channel yet), or enabled
    again after a delivered suspension notice."""
    number = last.number if last else 0
    facts = {"reason": current.reason, "cause": current.cause}
    if current.access == "suspended":
        if last is None or last.event != SERVICE_SUSPENDED:
            number += 1
        event, why = SERVICE_SUSPENDED, f"suspended: {current.reason}"
    elif current.access == "enabled" and last is not None:
        if last.event == SERVICE_SUSPENDED:
            if not last.delivered:
                return []  # never told of the suspension: nothing to take back
            number += 1
        event, why = SERVICE_RESUMED, f"enabled again: {current.reason}"
    else:
        return []
    if current.paid_through is not None:
        facts["paid_through"] = current.paid_through.isoformat()
    key = f"{event}:{current.customer}:{number}"
    return [Notice(key=key, event=event, customer=current.customer, why=why, facts=facts)]


def received(
    state: State, customer: Customer, current: Standing, as_of: date, lookback: int
) -> list[Notice]:
    since = as_of - timedelta(days=lookback)
    found = []
    for entry in state.entries_for(customer.id):
        if entry.kind != "payment" or not since <= entry.date <= as_of:
            continue
        facts = {
            "amount": rupiah(entry.amount),
            "payment_date": entry.date.isoformat(),
            "payment_reference": entry.reference or entry.id,
        }
        if current.paid_through is not None:
            facts["paid_through"] = current.paid_through.isoformat()
        found.append(
            Notice(
                key=f"{PAYMENT_RECEIVED}:{entry.id}",
                event=PAYMENT_RECEIVED,
                customer=customer.id,
                why=f"payment {entry.id} of {facts['amount']} on {entry.date}",
                facts=facts,
            )
        )
    return found


def terminated(customer: Customer, as_of: date, lookback: int) -> list[Notice]:
    end = customer.end
    if customer.status != "terminated" or end is None:
        return []
    if not as_of - timedelta(days=lookback) <= end <= as_of:
        return []
    return [
        Notice(
            key=f"{SERVICE_TERMINATED}:{customer.id}:{end.isoformat()}",
            event=SERVICE_TERMINATED,
            customer=customer.id,
            why=f"service ended on {end}",
            facts={"end_date": end.isoformat()},
        )
    ]
