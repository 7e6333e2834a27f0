"""A hand-built ISP whose dashboard figures are known (see tests/billing/test_report.py).

r1  alice   start 10-01, paid 10-01 150k, 11-02 160k, refund 11-03 10k  -> active, paid to 11-29
    bob     start 11-01, paid 11-05 100k                                  -> suspended, owes 50k
    frank   start 10-25, paid 10-25 150k, credit 11-10 20k                -> active, paid to 11-23
r2  carol   free
    dave    start 11-01, status suspended (manual), nothing paid         -> owes 150k (19 days)
    erin    start 06-01, terminated end 09-30, paid 06-01 450k            -> owes 08-30 and 09-29
    gina    start 12-01                                                   -> not started
"""

from __future__ import annotations

from datetime import date

from isk_reconcile.billing.engine import standings
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.billing.report import dashboard
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings

D = date.fromisoformat


AS_OF = D("2026-11-20")


def plain(value) -> Dated:
    return Dated(changes=(DatedChange(from_=date.min, value=value),))


def person(cid: str, router: str, start: str, **fields) -> Customer:
    return Customer(
        id=cid,
        name=fields.pop("name", cid.title()),
        router=router,
        start=D(start),
        profile=Dated(changes=(DatedChange(from_=D(start), value="home"),)),
        phone=fields.pop("phone", "+62811000" + cid),
        **fields,
    )


def pay(eid: str, cid: str, day: str, amount: int, kind: str = "payment") -> LedgerEntry:
    method = None if kind == "credit" else "transfer"
    return LedgerEntry(id=eid, customer=cid, amount=amount, date=D(day), kind=kind, method=method)


def example_state() -> State:
    customers = [
        person("alice", "r1", "2026-10-01"),
        person("bob", "r1", "2026-11-01"),
        person("frank", "r1", "2026-10-25"),
        person("carol", "r2", "2026-01-01", status="free"),
        person("dave", "r2", "2026-11-01", status="suspended", suspend_reason="cable cut"),
        person("erin", "r2", "2026-06-01", status="terminated", end=D("2026-09-30")),
        person("gina", "r2", "2026-12-01"),
    ]
    ledger = [
        pay("P-1", "alice", "2026-10-01", 150_000),
        pay("P-2", "alice", "2026-11-02", 160_000),
        pay("P-3", "alice", "2026-11-03", 10_000, "refund"),
        pay("P-4", "bob", "2026-11-05", 100_000),
        pay("P-5", "frank", "2026-10-25", 150_000),
        pay("P-6", "frank", "2026-11-10", 20_000, "credit"),
        pay("P-7", "erin", "2026-06-01", 450_000),
        pay("P-8", "alice", "2026-11-25", 150_000),  # after as_of: not counted yet
    ]
    return State(
        settings=Settings(),
        routers={
            "r1": Router(name="r1", host="127.0.0.1", description="First"),
            "r2": Router(name="r2", host="127.0.0.1", description="Second"),
        },
        profiles={"home": Profile(name="home", price=plain(150_000), rate_limit="10M/10M")},
        customers={c.id: c for c in customers},
        ledger=tuple(ledger),
    )


def build(state: State | None = None, **kwargs):
    state = state or example_state()
    by_customer = standings(state, AS_OF)
    return dashboard(state, AS_OF, by_customer, receivables(state, AS_OF, by_customer), **kwargs)
