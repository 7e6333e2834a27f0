"""Sessions a saved plan must still cut at apply time (`sessions_to_cut`, SPEC §5).

Sessions are not in the fingerprint, so a customer may come online between `isk plan
--out` and `isk apply`: apply then adds the disconnect the planner would have made,
by the planner's rule, and no other.
"""

from __future__ import annotations

from isk_reconcile.reconcile.disconnects import sessions_to_cut
from isk_reconcile.reconcile.plan_types import Change
from isk_reconcile.routeros.types import LiveItem, LiveState


def online(*names: str) -> LiveState:
    return LiveState(
        "r1", (), (), tuple(LiveItem(f"*S{n}", {"name": name}) for n, name in enumerate(names))
    )


def secret(action: str, name: str, reason: str = "why", **fields: tuple) -> Change:
    return Change(action, "secret", name, f"cust-{name}", reason, fields)  # type: ignore[arg-type]


def cuts(changes: list[Change], live: LiveState, disconnect: bool = True) -> list[tuple]:
    return [
        (c.action, c.kind, c.name, c.customer, c.reason)
        for c in sessions_to_cut(changes, live, disconnect)
    ]


def test_each_access_change_of_an_online_account_cuts_its_session() -> None:
    changes = [
        secret("disable", "a", "unpaid invoice a/2026-11-01", disabled=("false", "true")),
        secret("delete", "b", "terminated on 2026-11-01", profile=("home-10m", None)),
        secret("enable", "c", "paid through 2026-12-31", profile=("isolir", "home-10m")),
        secret("update", "d", "password differs", password=("(hidden)", "(changed)")),
        secret("update", "e", "moved", **{"remote-address": ("10.0.0.1", "10.0.0.2")}),
        secret("update", "f", "upgrade", profile=("home-10m", "home-20m")),
    ]
    assert cuts(changes, online("a", "b", "c", "d", "e", "f")) == [
        ("disconnect", "session", "a", "cust-a", "access suspended: unpaid invoice a/2026-11-01"),
        ("disconnect", "session", "b", "cust-b", "account deleted: terminated on 2026-11-01"),
        (
            "disconnect",
            "session",
            "c",
            "cust-c",
            "restored from isolation: paid through 2026-12-31",
        ),
        ("disconnect", "session", "d", "cust-d", "password changed: the session must reconnect"),
        (
            "disconnect",
            "session",
            "e",
            "cust-e",
            "remote-address changed: the session must reconnect",
        ),
        ("disconnect", "session", "f", "cust-f", "profile changed: the session must reconnect"),
    ]


def test_several_session_fields_are_named_together() -> None:
    change = secret("update", "a", "x", password=("(hidden)", "(changed)"), profile=("p1", "p2"))
    (cut,) = sessions_to_cut([change], online("a"), True)
    assert cut.reason == "password, profile changed: the session must reconnect"


def test_changes_that_leave_the_session_valid_cut_nothing() -> None:
    changes = [
        secret("update", "a", "comment differs", comment=("isk:a A", "isk:a A.")),
        secret("enable", "b", "paid", disabled=("true", "false")),  # was disabled: no session
        secret("create", "c", "new", password=(None, "(set)"), profile=(None, "home-10m")),
        Change(
            "conflict", "secret", "d", None, "unmanaged", {"password": ("(hidden)", "(changed)")}
        ),
        Change("delete", "profile", "old-5m", None, "gone"),
    ]
    assert cuts(changes, online("a", "b", "c", "d", "old-5m")) == []


def test_offline_accounts_planned_cuts_and_disabled_settings_add_nothing() -> None:
    disable = secret("disable", "a", "unpaid", disabled=("false", "true"))
    assert cuts([disable], online("someone-else")) == []
    assert cuts([disable], online("a"), disconnect=False) == []
    planned = Change("disconnect", "session", "a", "cust-a", "access suspended: unpaid")
    assert cuts([disable, planned], online("a")) == []
    assert cuts([planned, disable], online("a")) == []


def test_one_cut_per_account_even_with_two_changes() -> None:
    changes = [
        secret("update", "a", "x", password=("(hidden)", "(changed)")),
        secret("disable", "a", "unpaid", disabled=("false", "true")),
    ]
    assert [c[2] for c in cuts(changes, online("a"))] == ["a"]


def test_a_change_that_cuts_nothing_does_not_stop_the_search() -> None:
    disable = secret("disable", "b", "unpaid", disabled=("false", "true"))
    before = [
        secret("disable", "x", "unpaid", disabled=("false", "true")),  # offline
        Change(
            "conflict", "secret", "c", None, "unmanaged", {"password": ("(hidden)", "(changed)")}
        ),
        secret("update", "a", "comment differs", comment=("isk:a A", "isk:a A.")),
    ]
    for first in before:
        assert [c[2] for c in cuts([first, disable], online("a", "b", "c"))] == ["b"]
