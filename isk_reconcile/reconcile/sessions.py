"""Who is online (`isk sessions`): live `/ppp/active` joined with each customer's standing.

Pure: from the routers' live state and the standings, one row per session plus one per
customer who should be online and is not, each with a note when the two disagree —
"suspended but online" (a session the last apply did not cut, or a client that came back)
and "paid but offline" (a paying customer the technician should call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from isk_reconcile.billing.engine import Standing
from isk_reconcile.billing.report_types import category
from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.state.model import State

SUSPENDED_ONLINE = "suspended but online"
PAID_OFFLINE = "paid but offline"
NOT_A_CUSTOMER = "no customer has this username"


@dataclass(frozen=True)
class SessionRow:
    router: str
    customer: str | None  # None: a session of a username no customer file has
    username: str
    online: bool
    address: str = ""
    caller_id: str = ""
    uptime: str = ""
    standing: str | None = None  # the dashboard group (report.category)
    access: str | None = None  # enabled | suspended | absent
    note: str = ""

    def as_row(self) -> dict[str, object]:
        return {field: getattr(self, field) for field in SESSION_FIELDS}


SESSION_FIELDS = (
    "router", "customer", "username", "online", "address", "caller_id", "uptime",
    "standing", "access", "note",
)  # fmt: skip


def session_rows(
    state: State,
    standings: Mapping[str, Standing],
    live: Mapping[str, LiveState | RouterError],
    customer: str | None = None,
) -> tuple[SessionRow, ...]:
    """Rows for the routers that answered (in `live`'s order); `customer` limits them."""
    rows: list[SessionRow] = []
    for router, read in live.items():
        if isinstance(read, RouterError):
            continue
        by_username = {c.username: c.id for c in state.customers.values() if c.router == router}
        online: set[str] = set()
        for session in read.active:
            username = session.name
            owner = by_username.get(username)
            if customer is not None and owner != customer:
                continue
            online.add(username)
            rows.append(_online_row(router, owner, session.attrs, standings))
        for username, owner in sorted(by_username.items(), key=lambda pair: pair[1]):
            wanted = standings.get(owner)
            if username in online or wanted is None or not wanted.enabled:
                continue
            if customer is not None and owner != customer:
                continue
            rows.append(
                SessionRow(
                    router,
                    owner,
                    username,
                    False,
                    standing=category(wanted),
                    access=wanted.access,
                    note=PAID_OFFLINE,
                )  # fmt: skip
            )
    return tuple(rows)


def _online_row(
    router: str, owner: str | None, attrs: Mapping[str, str], standings: Mapping[str, Standing]
) -> SessionRow:
    standing = standings.get(owner) if owner else None
    note = NOT_A_CUSTOMER if owner is None else ""
    if standing is not None and not standing.enabled:
        note = SUSPENDED_ONLINE
    return SessionRow(
        router=router,
        customer=owner,
        username=attrs.get("name", ""),
        online=True,
        address=attrs.get("address", ""),
        caller_id=attrs.get("caller-id", ""),
        uptime=attrs.get("uptime", ""),
        standing=category(standing) if standing else None,
        access=standing.access if standing else None,
        note=note,
    )


def read_live(
    state: State,
    routers: list[str],
    environ: Mapping[str, str],
    on_result: Callable[[str, LiveState | RouterError], None] | None = None,
) -> dict[str, LiveState | RouterError]:
    """The routers' live state (one print per menu each, concurrently)."""
    from isk_reconcile.routeros.fleet import read_all

    return read_all(state, routers, environ, on_result=on_result)
