"""The dashboard as data: the stable `isk-status/1` document (`isk status --format json`;
the HTML page embeds it) and the flat summary rows (`--format csv`, the Excel Summary
sheet). Column names are documented in docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from isk_reconcile.billing.report_types import AGING_LABELS, Dashboard, Figures, RouterStatus

# --- the machine-readable form (isk status --format json; the HTML page embeds it) -------


def _figures_dict(figures: Figures) -> dict:
    return {
        "customers": figures.customers.as_dict(),
        "billed": figures.billed,
        "collected": figures.collected,
        "credits": figures.credits,
        "written_off": figures.written_off,
        "outstanding": figures.outstanding,
        "aging": {bucket.label: bucket.amount for bucket in figures.aging},
        "aging_invoices": {bucket.label: bucket.invoices for bucket in figures.aging},
        "expiring": figures.expiring,
    }


def router_dict(status: RouterStatus) -> dict:
    info = status.info
    return {
        "router": status.name,
        "description": status.description,
        "reachable": status.reachable,
        "error": status.error,
        "identity": info.identity if info else None,
        "version": info.version if info else None,
        "uptime": info.uptime if info else None,
        "active_sessions": info.active_sessions if info else None,
        "drift": status.drift,
        **_figures_dict(status.figures),
    }


def as_dict(board: Dashboard) -> dict:
    """The stable `isk-status/1` document (column names documented in docs/reports.md)."""
    return {
        "format": "isk-status/1",
        "as_of": board.as_of.isoformat(),
        "month": board.month,
        "commit": board.commit,
        "notes": list(board.notes),
        "routers": [router_dict(status) for status in board.routers],
        "total": {
            "active_sessions": board.active_sessions,
            "drift": board.drift,
            "unreachable": [status.name for status in board.unreachable],
            **_figures_dict(board.total),
        },
        "monthly": [
            {"month": m.month, "billed": m.billed, "collected": m.collected} for m in board.monthly
        ],
        "expiring": [
            {
                "customer": row.id,
                "name": row.name,
                "router": row.router,
                "profile": row.profile,
                "expires": row.expires.isoformat() if row.expires else None,
                "days_left": (row.expires - board.as_of).days if row.expires else None,
            }
            for row in board.expiring
        ],
        "overdue": [
            {
                "customer": row.customer,
                "name": row.name,
                "router": row.router,
                "outstanding": row.outstanding,
                "invoices": row.invoices,
                "oldest_due": row.oldest_due.isoformat(),
                "days_past_due": row.days_past_due,
                "standing": row.category,
                "reason": row.reason,
            }
            for row in board.overdue
        ],
    }


def summary_rows(board: Dashboard) -> list[dict]:
    """One flat row per router plus a "total" row: the CSV / spreadsheet summary."""
    rows = []
    for status in board.routers:
        rows.append(_flat_row(status.name, status.figures, router_dict(status)))
    total = {
        "reachable": None if not board.routers else not board.unreachable,
        "error": None,
        "identity": None,
        "version": None,
        "uptime": None,
        "active_sessions": board.active_sessions,
        "drift": board.drift,
    }
    rows.append(_flat_row("total", board.total, total))
    return rows


SUMMARY_COLUMNS: Sequence[str] = (
    "router",
    "reachable",
    "error",
    "identity",
    "version",
    "uptime",
    "active_sessions",
    "drift",
    "customers",
    "active",
    "suspended",
    "suspended_unpaid",
    "suspended_manual",
    "on_hold",
    "free",
    "terminated",
    "not_started",
    "expiring",
    "billed",
    "collected",
    "credits",
    "written_off",
    "outstanding",
    *(f"aging_{label}" for label in AGING_LABELS),
)


def _flat_row(name: str, figures: Figures, live: Mapping) -> dict:
    counts = figures.customers.as_dict()
    row = {
        "router": name,
        "reachable": live["reachable"],
        "error": live["error"],
        "identity": live["identity"],
        "version": live["version"],
        "uptime": live["uptime"],
        "active_sessions": live["active_sessions"],
        "drift": live["drift"],
        "customers": counts["total"],
        **{key: counts[key] for key in counts if key != "total"},
        "expiring": figures.expiring,
        "billed": figures.billed,
        "collected": figures.collected,
        "credits": figures.credits,
        "written_off": figures.written_off,
        "outstanding": figures.outstanding,
    }
    for bucket in figures.aging:
        row[f"aging_{bucket.label}"] = bucket.amount
    return {column: row.get(column) for column in SUMMARY_COLUMNS}
