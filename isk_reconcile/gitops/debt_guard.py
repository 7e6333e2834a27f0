"""Billed money stays billed: the `isk validate --base` guard against erasing debt.

Billing is a pure function of the files: an edit that is not a price change can still
remove or move invoices whose periods have already started, and with them the debt:
`status: free` (never billed), `terminated` with an `end` moved back, a customer file
deleted (in one pull request, or after a `free` in an earlier one), or a `billing.mode`
/ `cycle` change (due dates move, periods are cut anew).

The rule: such an edit is refused while it would erase money that is still owed. The
owed money is measured on the base's terms (the customer, profiles and settings as they
are on the base commit) with the pull request's ledger, so the way through is explicit
and on record: settle the invoices (a payment or credit), or write the debt off (a
`writeoff` ledger entry with a reason, reported as bad debt), in the same or an earlier
pull request. Every refusal names the invoices and the debt before and after.

Price, profile and start changes are the billed-period guard's (`guards.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date

from isk_reconcile.billing.engine import rupiah, standing
from isk_reconcile.billing.invoices import Invoice
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.errors import ConfigError, Loc
from isk_reconcile.state.model import State

BILLED_FIELDS = ("start", "profile", "price")
SERVICE_FIELDS = ("status", "end")


@dataclasses.dataclass(frozen=True)
class Erased:
    """One customer's billed, unpaid invoices that the edit removes or changes."""

    customer: str
    invoices: tuple[Invoice, ...]  # on the base's terms, with the head's ledger
    debt_before: int  # owed on as_of on the base's terms (head's ledger)
    debt_after: int  # owed on as_of on the head's terms (0 when the file is gone)

    def words(self) -> str:
        first = self.invoices[0]
        more = f" and {len(self.invoices) - 1} more" if len(self.invoices) > 1 else ""
        return (
            f"{first.id} ({rupiah(first.outstanding)} unpaid){more}; debt "
            f"{rupiah(self.debt_before)} → {rupiah(self.debt_after)}"
        )


def debt_errors(base: State, head: State, as_of: date, base_ref: str) -> Iterable[ConfigError]:
    """Every edit of `head` that erases money still owed on `base`'s terms."""
    # The head's ledger, plus base entries it deleted (refused on their own, they must
    # not make the debt look larger meanwhile).
    kept = {entry.id for entry in head.ledger}
    ledger = (*head.ledger, *(entry for entry in base.ledger if entry.id not in kept))
    terms = dataclasses.replace(base, ledger=ledger, locations={})
    settings_changed = base.settings.billing != head.settings.billing
    by_settings: list[Erased] = []
    for customer_id in sorted(base.customers):
        before, now = base.customers[customer_id], head.customers.get(customer_id)
        if now is not None and any(
            getattr(before, name) != getattr(now, name) for name in BILLED_FIELDS
        ):
            continue  # the billed-period guard reports it
        service_changed = now is None or any(
            getattr(before, name) != getattr(now, name) for name in SERVICE_FIELDS
        )
        if not service_changed and not settings_changed:
            continue
        erased = erased_debt(terms, head, customer_id, as_of)
        if erased is None:
            continue
        if now is None:
            yield _deleted(base, erased, as_of, base_ref)
        elif service_changed:
            yield _service_change(head, before.status, now.status, erased, as_of)
        else:
            by_settings.append(erased)
    if by_settings:
        before_total = receivables(terms, as_of).total
        after_total = receivables(head, as_of).total
        yield ConfigError(
            Loc("state/settings.yaml"),
            "billing",
            f"the billing settings change erases billed, unpaid invoices of "
            f"{len(by_settings)} customer(s), e.g. {by_settings[0].words()}; "
            f"receivables {rupiah(before_total)} → {rupiah(after_total)}",
            "settle or write off (kind: writeoff) those invoices first, or keep the settings",
        )


def erased_debt(terms: State, head: State, customer_id: str, as_of: date) -> Erased | None:
    """The invoices unpaid on `terms` (base customer, head ledger) that `head` drops,
    lowers or makes due later; None when there are none."""
    old = standing(terms, customer_id, as_of)
    unpaid = [invoice for invoice in old.invoices if invoice.outstanding > 0]
    if not unpaid:
        return None
    new = standing(head, customer_id, as_of) if customer_id in head.customers else None
    kept = {invoice.id: invoice for invoice in new.invoices} if new is not None else {}
    erased = tuple(
        invoice
        for invoice in unpaid
        if (same := kept.get(invoice.id)) is None
        or same.outstanding < invoice.outstanding
        or same.due > invoice.due
    )
    if not erased:
        return None
    after = max(0, -new.balance) if new is not None else 0
    return Erased(customer_id, erased, max(0, -old.balance), after)


def _hint(erased: Erased, as_of: date) -> str:
    return (
        "settle it first (a payment or credit), or write it off on record: "
        f'isk pay {erased.customer} <amount> --kind writeoff --reason "..." '
        f"--date {as_of.isoformat()}"
    )


def _deleted(base: State, erased: Erased, as_of: date, base_ref: str) -> ConfigError:
    where = base.loc("customer", erased.customer) or Loc(f"state/customers/{erased.customer}.yaml")
    return ConfigError(
        Loc(where.file),
        erased.customer,
        f"customer file deleted while {erased.customer} still owes for billed invoices "
        f"(on {base_ref}'s terms, {as_of}): {erased.words()}",
        _hint(erased, as_of),
    )


def _service_change(head: State, was: str, now: str, erased: Erased, as_of: date) -> ConfigError:
    where = head.loc("customer", erased.customer) or Loc(f"state/customers/{erased.customer}.yaml")
    change = f"status {was} → {now}" if was != now else "the new end date"
    return ConfigError(
        Loc(where.file),
        "status" if was != now else "end",
        f"{change} erases billed, unpaid invoices: {erased.words()}",
        _hint(erased, as_of),
    )
