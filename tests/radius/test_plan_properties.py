"""Invariants of the store plan (pure: no database): a store holding the desired rows
plans nothing, an empty one plans exactly the creations, hand-made rows never appear."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.billing.engine import standings
from isk_reconcile.radius.desired import GROUP_PRIORITY, DesiredStore, desired_store
from isk_reconcile.radius.plan import plan_store
from isk_reconcile.radius.store import LiveStore, NasRow
from isk_reconcile.state.base import Dated, DatedChange
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.model import State
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import SecretsSettings, Settings, SuspendSettings

AS_OF = date(2026, 11, 20)
START = date(2026, 1, 1)


def dated(value: object) -> Dated:
    return Dated(changes=(DatedChange(**{"from": START, "value": value}),))


def make_state(people: list[tuple[str, bool, bool, int]], mode: str) -> State:
    profiles = {
        "home-10m": Profile(name="home-10m", price=dated(1000), rate_limit="10M/10M"),
        "home-20m": Profile(name="home-20m", price=dated(2000), remote_address="pool-a"),
        "isolir": Profile(name="isolir", rate_limit="512k/512k", address_list="isolir"),
    }
    customers = {}
    for n, (status, static, locked, package) in enumerate(people):
        pppoe: dict[str, str] = {"password": f"pw{n}"}
        if static:
            pppoe["remote_address"] = f"10.0.{n // 256}.{n % 256}"
        if locked:
            pppoe["caller_id"] = f"AA:BB:CC:00:00:{n % 256:02X}"
        customers[f"c{n}"] = Customer(
            id=f"c{n}",
            name=f"C {n}",
            router="r1",
            start=START,
            profile=dated(("home-10m", "home-20m")[package]),
            status=status,
            pppoe=pppoe,
        )
    settings = Settings(
        secrets=SecretsSettings(allow_plaintext=True),
        suspend=SuspendSettings(mode=mode, isolate_profile="isolir"),
    )
    routers = {"r1": Router(name="r1", host="127.0.0.1", backend="radius")}
    return State(settings, routers, profiles, customers, ())


def desired_of(state: State) -> DesiredStore:
    passwords = {cid: c.pppoe.password for cid, c in state.customers.items()}
    return desired_store(state, standings(state, AS_OF), passwords, {"r1": "s3cret"})


def live_of(desired: DesiredStore, extra_users: dict[str, str]) -> LiveStore:
    """The store as apply leaves it, plus hand-made users (name -> password)."""
    check = {name: user.check for name, user in desired.users.items() if user.check}
    check |= {
        name: frozenset({("Cleartext-Password", ":=", pw)}) for name, pw in extra_users.items()
    }
    memberships = {name: ((user.group, GROUP_PRIORITY),) for name, user in desired.users.items()}
    memberships |= {name: (("hand-made", 1),) for name in extra_users}
    return LiveStore(
        memberships=memberships,
        check=check,
        reply={name: user.reply for name, user in desired.users.items() if user.reply},
        group_check={name: g.check for name, g in desired.groups.items() if g.check},
        group_reply={name: g.reply for name, g in desired.groups.items() if g.reply},
        nas={
            name: NasRow(name, nas.shortname, nas.secret, nas.description)
            for name, nas in desired.nas.items()
        },
    )


PEOPLE = st.lists(
    st.tuples(
        st.sampled_from(["free", "suspended", "active"]),
        st.booleans(),
        st.booleans(),
        st.integers(0, 1),
    ),
    max_size=25,
)
HAND = st.dictionaries(
    st.from_regex(r"\Ahand[a-z]{1,6}\Z"), st.text(min_size=1, max_size=8), max_size=5
)


@settings(max_examples=60, deadline=None)
@given(PEOPLE, st.sampled_from(["disable", "isolate"]), HAND)
def test_store_holding_the_desired_rows_plans_nothing(people, mode, hand) -> None:
    desired = desired_of(make_state(people, mode))
    plan = plan_store(desired, live_of(desired, hand), make_state([], mode).settings.safety)
    assert plan.changes == ()
    assert plan.summary["unmanaged"] == len(hand)


@settings(max_examples=60, deadline=None)
@given(PEOPLE, st.sampled_from(["disable", "isolate"]), HAND)
def test_empty_store_plans_one_create_per_account(people, mode, hand) -> None:
    state = make_state(people, mode)
    desired = desired_of(state)
    empty = LiveStore({}, {}, {}, {}, {}, {})
    hand_only = live_of(DesiredStore("isk:", {}, {}, {}, {}, {}, True), hand)
    for live in (empty, hand_only):
        plan = plan_store(desired, live, state.settings.safety)
        created = {(c.kind, c.name) for c in plan.changes}
        assert all(c.action == "create" for c in plan.changes)
        assert {name for kind, name in created if kind == "user"} == set(desired.users)
        assert not any(name in hand for _, name in created)
        for change in plan.changes:
            assert "pw" not in str(change.fields) and "s3cret" not in str(change.fields)
