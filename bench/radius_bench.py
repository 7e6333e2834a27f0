"""RADIUS store benchmark: prints one JSON document with the figures.

    python bench/radius_bench.py [--customers 100000] [--changes 10000] [--dsn DSN]

Starts a throwaway PostgreSQL cluster with FreeRADIUS's stock schema on loopback (as the
tests do; or uses --dsn / $ISK_RADIUS_DSN, whose radius tables it empties), builds a
synthetic ISP of N customers on RADIUS routers in memory, then measures:

- `initial_apply`: the empty store filled (N users: one transaction, COPY);
- `plan_no_change`: desired state, read and diff of an unchanged store, with the number
  of SQL statements the read sends (one per table, whatever N);
- `plan_changes` / `apply_changes`: M customers suspended (a group change each), planned
  and applied in one transaction, with its statement count (bulk: constant in M);
- `second_plan_changes`: the change count right after (0 when converged).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from isk_reconcile.billing.engine import standings  # noqa: E402
from isk_reconcile.radius.desired import desired_store  # noqa: E402
from isk_reconcile.radius.plan import plan_store  # noqa: E402
from isk_reconcile.radius.run import apply_radius  # noqa: E402
from isk_reconcile.radius.store import read_store  # noqa: E402
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import SecretsSettings, Settings

AS_OF = date(2026, 11, 20)
SECRET = "bench-secret"
PACKAGES = ("home-10m", "home-20m", "home-50m", "business-100m")


class CountingCursor(psycopg.Cursor):
    """Counts the statements a read or an apply sends."""

    statements = 0

    def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)

    def copy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingCursor.statements += 1
        return super().copy(*args, **kwargs)


def synthetic_state(customers: int, routers: int, suspended: int) -> State:
    """N free customers (always enabled: no ledger needed) spread over RADIUS routers;
    the first `suspended` of them suspended by hand. Every 10th has a static IP."""
    settings = Settings(secrets=SecretsSettings(allow_plaintext=True))
    router_map = {
        f"r{n}": Router(name=f"r{n}", host=f"127.0.0.{n + 1}", backend="radius")
        for n in range(routers)
    }
    profiles = {
        name: Profile(
            name=name,
            price=Dated(changes=(DatedChange(**{"from": date(2020, 1, 1), "value": 100000}),)),
            rate_limit=f"{10 * (n + 1)}M/{10 * (n + 1)}M",
            remote_address="pool-home",
        )
        for n, name in enumerate(PACKAGES)
    }
    start = date(2026, 1, 1)
    people = {}
    for n in range(customers):
        cid = f"c{n:06d}"
        pppoe = {"password": f"pw-{n:06d}"}
        if n % 10 == 0:
            pppoe["remote_address"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        people[cid] = Customer(
            id=cid,
            name=f"Customer {n}",
            router=f"r{n % routers}",
            start=start,
            profile=Dated(
                changes=(DatedChange(**{"from": start, "value": PACKAGES[n % len(PACKAGES)]}),)
            ),
            status="suspended" if n < suspended else "free",
            pppoe=pppoe,
        )
    return State(settings, router_map, profiles, people, ())


def timed(action):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = action()
    return result, round(time.perf_counter() - began, 3)


def measure(dsn: str, customers: int, changes: int, routers: int) -> dict:
    environ = {f"ISK_ROUTER_R{n}_RADIUS_SECRET": SECRET for n in range(routers)}
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "TRUNCATE radcheck, radreply, radgroupcheck, radgroupreply, radusergroup, nas, radacct"
        )
    figures: dict = {"customers": customers, "changes": changes, "routers": routers}
    state, figures["build_state_s"] = timed(lambda: synthetic_state(customers, routers, 0))
    first, figures["initial_apply_s"] = timed(
        lambda: apply_radius(state, AS_OF, environ=environ, dsn=dsn)
    )
    assert first.ok, first.error
    figures["initial_apply_changes"] = first.written

    wanted, figures["standings_s"] = timed(lambda: standings(state, AS_OF))
    passwords = {cid: c.pppoe.password for cid, c in state.customers.items()}
    secrets = {name: SECRET for name in state.routers}
    desired, figures["desired_s"] = timed(lambda: desired_store(state, wanted, passwords, secrets))
    with psycopg.connect(dsn, cursor_factory=CountingCursor) as conn:
        CountingCursor.statements = 0
        live, figures["read_store_s"] = timed(lambda: read_store(conn, desired.prefix))
        figures["read_statements"] = CountingCursor.statements
    plan, figures["diff_s"] = timed(lambda: plan_store(desired, live, state.settings.safety))
    figures["plan_no_change_changes"] = len(plan.changes)

    changed = synthetic_state(customers, routers, changes)
    wanted = standings(changed, AS_OF)
    desired = desired_store(changed, wanted, passwords, secrets)
    plan, figures["plan_changes_diff_s"] = timed(
        lambda: plan_store(desired, live, changed.settings.safety)
    )
    figures["plan_changes"] = len(plan.changes)
    psycopg_connect = psycopg.connect

    def counting_connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        return psycopg_connect(*args, cursor_factory=CountingCursor, **kwargs)

    psycopg.connect = counting_connect  # count what apply sends, through its own code
    CountingCursor.statements = 0
    try:
        applied, figures["apply_changes_s"] = timed(
            lambda: apply_radius(changed, AS_OF, environ=environ, dsn=dsn, force=True)
        )
    finally:
        psycopg.connect = psycopg_connect
    figures["apply_statements"] = CountingCursor.statements
    figures["apply_written"] = applied.written
    figures["apply_ok"] = applied.ok
    with psycopg.connect(dsn) as conn:
        live = read_store(conn, desired.prefix)
    figures["second_plan_changes"] = len(plan_store(desired, live, changed.settings.safety).changes)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--routers", type=int, default=5)
    parser.add_argument("--dsn", default=os.environ.get("ISK_RADIUS_DSN"))
    args = parser.parse_args()
    with ExitStack() as stack:
        dsn = args.dsn
        if not dsn:
            from tests.radius.services import postgres_cluster

            dsn = stack.enter_context(postgres_cluster()).dsn
        figures = measure(dsn, args.customers, args.changes, args.routers)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
