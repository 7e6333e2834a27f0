"""Event derivation is a pure function of (repository, as_of, outbox): invariants."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isk_reconcile.notify.events import INVOICE_UPCOMING, customer_notices
from isk_reconcile.state.loader import load_state

NOTIFY = """
channels:
  wa: {kind: fonnte, token_env: ISK_NOTIFY_FONNTE}
customers: [wa]
reminder_days: [7, 3, 1]
"""
CUSTOMERS = {"budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"}}
FIRST = date(2026, 10, 11)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(run_days=st.sets(st.integers(min_value=0, max_value=60)))
def test_reminders_on_any_run_days(make_repo_once, run_days: set[int]) -> None:
    """Whatever days the job runs: at most one reminder per invoice and day, each
    reminder's window holds, and every window with a run day gets its reminder."""
    state = make_repo_once
    seen: dict[str, date] = {}
    for offset in sorted(run_days):
        day = FIRST + timedelta(days=offset)
        upcoming = [n for n in customer_notices(state, day) if n.event == INVOICE_UPCOMING]
        invoices = [n.facts["invoice"] for n in upcoming]
        assert len(invoices) == len(set(invoices))
        for notice in upcoming:
            window = int(notice.key.rsplit(":", 1)[1])
            left = int(notice.facts["days"])
            assert 1 <= left <= window
            assert not [n for n in (7, 3, 1) if left <= n < window]  # the tightest window
            seen.setdefault(notice.key, day)
    for due in (date(2026, 11, 10), date(2026, 12, 10)):
        for window, (low, high) in {7: (4, 7), 3: (2, 3), 1: (1, 1)}.items():
            days = {(due - timedelta(days=k) - FIRST).days for k in range(low, high + 1)}
            key = f"{INVOICE_UPCOMING}:budi/{due.isoformat()}:{window}"
            assert (key in seen) == bool(days & run_days)


def test_a_payment_known_on_as_of_stops_reminders(make_repo, pay) -> None:
    repo = make_repo(NOTIFY, CUSTOMERS)
    pay(repo, "P-1", "budi", 100000, "2026-10-10")
    pay(repo, "P-2", "budi", 100000, "2026-11-06")  # pays November's invoice early
    state = load_state(repo)
    before = [n.key for n in customer_notices(state, date(2026, 11, 5))]
    assert "invoice.upcoming:budi/2026-11-10:7" in before
    after = [n.key for n in customer_notices(state, date(2026, 11, 7))]
    assert not any(key.startswith(INVOICE_UPCOMING) for key in after)
    assert "payment.received:P-2" in after
