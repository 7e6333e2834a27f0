"""The live-state fingerprint a saved plan is checked against (SPEC §5, stale plans).

Any change to any attribute of any profile or secret, managed or not, must change the
fingerprint, so that `isk apply plan.json` refuses a router edited since the plan was
made. Sessions and volatile counters must not (they change all day).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from isk_reconcile.reconcile.plan import config_fingerprint
from isk_reconcile.routeros.types import LiveItem, LiveState

PROFILES = (
    LiveItem("*0", {"name": "default", "default": "true"}),
    LiveItem(
        "*1",
        {"name": "home-10m", "rate-limit": "10M/10M", "comment": "isk:profile Rumah 10M"},
    ),
    LiveItem("*2", {"name": "hotspot", "rate-limit": "2M/2M", "comment": "by hand"}),
)
SECRETS = (
    LiveItem(
        "*A",
        {
            "name": "budi",
            "password": "pw-budi",
            "profile": "home-10m",
            "disabled": "false",
            "comment": "isk:budi Budi",
        },
    ),
    LiveItem("*B", {"name": "tech", "password": "pw-tech", "profile": "default"}),
)


def router() -> LiveState:
    return LiveState("r1", PROFILES, SECRETS, (LiveItem("*S1", {"name": "budi"}),))


def edited(menu: str, index: int, attrs: dict[str, str | None]) -> LiveState:
    """The router with one item's attributes edited (None removes the attribute)."""
    live = router()
    items = list(getattr(live, menu))
    merged = {**items[index].attrs, **attrs}
    items[index] = LiveItem(items[index].id, {k: v for k, v in merged.items() if v is not None})
    return replace(live, **{menu: tuple(items)})


EDITS = [
    # managed profile: a value, an added attribute, a removed one
    ("profiles", 1, {"rate-limit": "20M/20M"}),
    ("profiles", 1, {"only-one": "yes"}),
    ("profiles", 1, {"rate-limit": None}),
    ("profiles", 1, {"comment": "isk:profile Rumah 10M (edited)"}),
    # unmanaged profile
    ("profiles", 2, {"rate-limit": "3M/3M"}),
    # managed secret: every attribute, including the password
    ("secrets", 0, {"password": "pw-other"}),
    ("secrets", 0, {"profile": "default"}),
    ("secrets", 0, {"disabled": "true"}),
    ("secrets", 0, {"comment": "isk:budi Budi S"}),
    ("secrets", 0, {"remote-address": "10.0.0.9"}),
    ("secrets", 0, {"profile": None}),
    # unmanaged secret
    ("secrets", 1, {"password": "pw-tech-2"}),
]


@pytest.mark.parametrize(("menu", "index", "attrs"), EDITS)
def test_any_attribute_change_changes_the_fingerprint(
    menu: str, index: int, attrs: dict[str, str | None]
) -> None:
    assert config_fingerprint(edited(menu, index, attrs)) != config_fingerprint(router())


@pytest.mark.parametrize("menu", ["profiles", "secrets"])
def test_removing_or_renaming_an_item_changes_the_fingerprint(menu: str) -> None:
    live = router()
    items = getattr(live, menu)
    assert config_fingerprint(replace(live, **{menu: items[:-1]})) != config_fingerprint(live)
    assert config_fingerprint(edited(menu, 1, {"name": "renamed"})) != config_fingerprint(live)


def test_swapping_values_between_items_changes_the_fingerprint() -> None:
    """Two secrets exchange profiles: same names, same set of values, another router."""
    budi, tech = router().secrets
    swapped = (
        LiveItem(budi.id, {**budi.attrs, "profile": tech.attrs["profile"]}),
        LiveItem(tech.id, {**tech.attrs, "profile": budi.attrs["profile"]}),
    )
    assert config_fingerprint(replace(router(), secrets=swapped)) != config_fingerprint(router())


def test_ids_order_and_sessions_do_not_change_the_fingerprint() -> None:
    live = router()
    renumbered = replace(
        live,
        profiles=tuple(LiveItem(f"*9{n}", item.attrs) for n, item in enumerate(live.profiles)),
        secrets=tuple(reversed([LiveItem(f"*F{n}", i.attrs) for n, i in enumerate(live.secrets)])),
        active=(LiveItem("*S9", {"name": "tech"}),),
    )
    assert config_fingerprint(renumbered) == config_fingerprint(live)


def test_a_customer_hanging_up_does_not_make_a_plan_stale() -> None:
    """RouterOS updates a secret's last-logged-out, last-caller-id and
    last-disconnect-reason whenever its session ends: not a configuration change."""
    hung_up = edited(
        "secrets",
        0,
        {
            "last-logged-out": "2026-11-29 10:11:12",
            "last-caller-id": "AA:BB:CC:DD:EE:FF",
            "last-disconnect-reason": "peer-request",
        },
    )
    assert config_fingerprint(hung_up) == config_fingerprint(router())


def test_session_counters_do_not_change_the_live_fingerprint() -> None:
    """`LiveState.fingerprint` covers sessions by who is online, not by their counters."""
    session = {"name": "budi", "uptime": "1h2m", "session-id": "0x81", "encoding": "MPPE128"}
    later = {**session, "uptime": "1h3m", "session-id": "0x82", "encoding": ""}
    first = replace(router(), active=(LiveItem("*S1", session),))
    second = replace(router(), active=(LiveItem("*S1", later),))
    assert first.fingerprint() == second.fingerprint()
    other = replace(router(), active=(LiveItem("*S1", {**session, "name": "tech"}),))
    assert other.fingerprint() != first.fingerprint()
