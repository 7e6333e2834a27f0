"""payments/*.yaml (SPEC §2): the append-only ledger of payments, credits, refunds and
write-offs.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from pydantic import (
    StrictStr,
    field_validator,
    model_validator,
)

from isk_reconcile.state import addresses
from isk_reconcile.state.base import FreeText, Frozen, IsoDate, PositiveMoney, rule_error

# --- ledger -------------------------------------------------------------------------------

# writeoff: bad debt written off by decision (settles invoices like a credit, with a
# required reason, and is reported apart from credits as bad debt).
EntryKind = Literal["payment", "credit", "refund", "writeoff"]
NON_CASH = frozenset({"credit", "writeoff"})
PaymentMethod = Literal["cash", "transfer", "qris", "ewallet", "other"]


class LedgerEntry(Frozen):
    id: StrictStr
    customer: StrictStr
    amount: PositiveMoney
    date: IsoDate
    kind: EntryKind = "payment"
    method: PaymentMethod | None = None
    reference: StrictStr = ""
    note: FreeText = ""
    reason: FreeText = ""  # why the debt is written off (writeoff only, required there)

    @field_validator("id")
    @classmethod
    def _id_given(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise rule_error(f"ledger id '{value}' must be non-empty without surrounding spaces")
        return addresses.ledger_id(value)

    @model_validator(mode="after")
    def _method_matches_kind(self) -> LedgerEntry:
        # Cash moved (payment, refund) must say how; a credit or writeoff moves no cash.
        if self.kind in NON_CASH and self.method is not None:
            raise rule_error(
                f"a {self.kind} moves no cash and takes no method", ("method",), "remove method"
            )
        if self.kind == "writeoff" and not self.reason.strip():
            raise rule_error(
                "a writeoff needs a reason",
                ("reason",),
                "say why the debt is written off, e.g. reason: moved away, unreachable",
            )
        if self.kind != "writeoff" and self.reason:
            raise rule_error("reason is only for writeoff entries", ("reason",), "use note instead")
        if self.kind not in NON_CASH and self.method is None:
            raise rule_error(
                f"a {self.kind} needs a method",
                ("method",),
                "one of cash, transfer, qris, ewallet, other",
            )
        return self

    @property
    def signed_amount(self) -> int:
        """What the entry adds to the customer's running credit."""
        return -self.amount if self.kind == "refund" else self.amount


class LedgerRow(NamedTuple):
    """An entry's values as a plain tuple, in LedgerEntry's field order, with the
    attributes billing reads (issue 12): billing the 123,000 entries of an unbuilt ledger
    needs their values, not 123,000 models made first (a third of billing's time). Made
    only from checked ledger columns, whose values LedgerEntry accepts as they are
    (state.ledgercolumns, state.lazyledger.billing_rows)."""

    id: str
    customer: str
    amount: int
    date: date
    kind: EntryKind
    method: PaymentMethod | None
    reference: str
    note: str
    reason: str

    @property
    def signed_amount(self) -> int:
        return -self.amount if self.kind == "refund" else self.amount


# What billing reads of an entry: a validated entry, or its row.
Entry = LedgerEntry | LedgerRow
