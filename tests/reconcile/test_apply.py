"""Plan and apply against simulated routers over real TCP (librouteros underneath)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from isk_reconcile.reconcile.apply import run_apply
from isk_reconcile.reconcile.plan_types import Plan
from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.render.plan_json import load_plan, render_json
from isk_reconcile.state.encryption import encrypt
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State
from tests.helpers import DEMO_RECIPIENT
from tests.helpers.isp import (
    ACTIVE,
    AS_OF,
    PROFILE,
    PROFILES,
    SECRET,
    Fleet,
    by_name,
    converge,
    customer,
    names,
    plan,
    repo,
)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1",))


@pytest.fixture
def fleet3() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1", "r2", "r3"))


MIXED = {
    "budi": customer("Budi Santoso", pppoe={"remote_address": "10.20.0.15"}),
    "zoe": customer("Zoë Hartono 李", profile="home-20m"),
    "n2024": customer("Numeric", password="123456", pppoe={"username": "2024"}),
    "late": customer("Late Payer", status="suspended", suspend_reason="moved house"),
}


# --- tests ------------------------------------------------------------------------------


def test_first_apply_creates_everything_and_second_plan_is_empty(
    tmp_path: Path, fleet: Fleet
) -> None:
    state = repo(tmp_path, fleet, MIXED)
    first = plan(state, fleet)
    assert first.routers[0].summary["create"] == 7
    report = run_apply(first, state, environ=fleet.environ)
    assert report.ok
    (result,) = report.routers
    assert result.verified and result.applied == 7
    again = plan(state, fleet)
    assert not again.has_changes, again
    secrets = by_name(fleet["r1"], SECRET)
    assert secrets["2024"]["password"] == "123456"
    assert secrets["zoe"]["comment"] == "isk:zoe Zoe Hartono ?"
    assert secrets["late"]["disabled"] == "true"
    assert secrets["budi"]["remote-address"] == "10.20.0.15"
    # Applying the empty plan again changes nothing and is still ok.
    writes_before = fleet["r1"].writes
    assert run_apply(again, state, environ=fleet.environ).ok
    assert fleet["r1"].writes == writes_before


def drift_every_verb(tmp_path: Path, fleet: Fleet) -> State:
    """Converge MIXED, then drift the router and move the repo on so that the next plan
    holds every verb; returns the new state."""
    sim = fleet["r1"]
    converge(repo(tmp_path, fleet, MIXED), fleet)
    # Drift, as technicians and time produce it.
    sim.add(PROFILE, {"name": "hotspot", "rate-limit": "1M/1M"})
    sim.add(PROFILE, {"name": "old-5m", "comment": "isk:profile Lama"})
    sim.add(SECRET, {"name": "tech", "password": "x", "profile": "hotspot", "comment": "by hand"})
    sim.add(
        SECRET, {"name": "gone", "password": "x", "profile": "home-10m", "comment": "isk:gone G"}
    )
    for session in ("gone", "tech", "budi", "zoe"):
        sim.add_session(session)
    # The repo moves on: budi suspended, late pays (now free), zoe gets a new password,
    # gone is terminated, home-10m gets faster.
    customers = dict(MIXED)
    customers["budi"] = customer(
        "Budi Santoso", status="suspended", pppoe={"remote_address": "10.20.0.15"}
    )
    customers["late"] = customer("Late Payer")
    customers["zoe"] = customer("Zoë Hartono 李", profile="home-20m", password="new-pw")
    customers["gone"] = customer("Gone", status="terminated", end="2026-10-31")
    profiles = {**_profiles(), "home-10m": {**_profiles()["home-10m"], "rate_limit": "15M/15M"}}
    return repo(tmp_path, fleet, customers, profiles=profiles)


def test_every_verb_against_a_drifted_router(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    state = drift_every_verb(tmp_path, fleet)
    unmanaged_before = by_name(sim, SECRET)["tech"], by_name(sim, PROFILE)["hotspot"]
    builtins_before = [by_name(sim, PROFILE)[n] for n in ("default", "default-encryption")]

    drifted = plan(state, fleet)
    got = Counter(change.action for change in drifted.routers[0].changes)
    assert got == Counter({"update": 2, "disable": 1, "enable": 1, "disconnect": 3, "delete": 2}), (
        drifted.routers[0].changes
    )
    assert drifted.routers[0].summary["unmanaged"] == 3  # and the hand-made pool-home
    assert len(drifted.routers[0].applicable) == 9

    report = run_apply(drifted, state, environ=fleet.environ)
    assert report.ok, report
    assert not plan(state, fleet).has_changes
    secrets = by_name(sim, SECRET)
    assert "gone" not in secrets and "old-5m" not in names(sim, PROFILE)
    assert secrets["budi"]["disabled"] == "true" and secrets["late"]["disabled"] == "false"
    assert secrets["zoe"]["password"] == "new-pw"
    assert by_name(sim, PROFILE)["home-10m"]["rate-limit"] == "15M/15M"
    # Sessions: cut for the suspended, the deleted and the changed password; others stay.
    assert names(sim, ACTIVE) == ["tech"]
    assert (by_name(sim, SECRET)["tech"], by_name(sim, PROFILE)["hotspot"]) == unmanaged_before
    assert [by_name(sim, PROFILE)[n] for n in ("default", "default-encryption")] == builtins_before


def test_isolate_mode_with_static_ip_round_trip(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    routers = {
        "r1": {**fleet.routers["r1"], "suspend": {"mode": "isolate", "isolate_profile": "isolir"}}
    }
    static = {"remote_address": "10.20.0.9"}
    # a one-account router: the any-size safety floor (tested in test_plan) is lifted
    kw = {"routers": routers, "settings": {"safety": {"max_disable_percent_any_size": 100}}}
    state = repo(tmp_path, fleet, {"c": customer("C", pppoe=static)}, **kw)
    converge(state, fleet)
    sim.add_session("c")
    state = repo(tmp_path, fleet, {"c": customer("C", status="suspended", pppoe=static)}, **kw)
    isolated = plan(state, fleet)
    assert [c.action for c in isolated.routers[0].changes] == ["disable", "disconnect"]
    assert not converge(state, fleet).has_changes
    secret = by_name(sim, SECRET)["c"]
    assert secret["profile"] == "isolir" and "remote-address" not in secret
    assert secret["disabled"] == "false"
    assert names(sim, ACTIVE) == []
    sim.add_session("c")  # the customer reconnects into the walled garden
    state = repo(tmp_path, fleet, {"c": customer("C", pppoe=static)}, **kw)
    assert [c.action for c in plan(state, fleet).routers[0].changes] == ["enable", "disconnect"]
    assert not converge(state, fleet).has_changes
    assert by_name(sim, SECRET)["c"]["remote-address"] == "10.20.0.9"


def test_dropped_connection_after_any_write_converges_on_rerun(
    tmp_path: Path, fleet: Fleet
) -> None:
    sim = fleet["r1"]
    state = repo(tmp_path, fleet, MIXED)
    baseline = dict(fleet["r1"].dump())
    total = plan(state, fleet)
    writes = len(total.routers[0].applicable)
    assert writes == 7
    expected: dict[str, list[str]] | None = None
    for dropped_after in range(writes):
        sim.load(baseline)
        sim.reset_counters()  # drop_after_writes counts the router's writes since the reset
        sim.faults.drop_after_writes = dropped_after
        report = run_apply(plan(state, fleet), state, environ=fleet.environ)
        assert not report.ok
        assert "connection lost" in report.routers[0].errors[-1]
        # The router applied exactly that many; the client may not have seen every reply.
        assert report.routers[0].applied <= dropped_after
        assert len(sim.items(PROFILE)) + len(sim.items(SECRET)) == 2 + dropped_after
        sim.faults.drop_after_writes = None
        assert not converge(state, fleet).has_changes
        menus = {menu: [i["name"] for i in sim.items(menu)] for menu in (PROFILE, SECRET)}
        for menu, listed in menus.items():
            assert len(listed) == len(set(listed)), f"duplicate in {menu}: {listed}"
        expected = expected or {menu: sorted(v) for menu, v in menus.items()}
        assert {menu: sorted(v) for menu, v in menus.items()} == expected


def test_dropped_connection_during_every_verb_converges(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    state = drift_every_verb(tmp_path, fleet)
    baseline = sim.dump()
    writes = len(plan(state, fleet).routers[0].applicable)
    assert writes == 9
    final: dict[str, Any] | None = None
    for dropped_after in range(writes):
        sim.load(baseline)
        sim.reset_counters()
        sim.faults.drop_after_writes = dropped_after
        assert not run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        sim.faults.drop_after_writes = None
        assert not converge(state, fleet).has_changes
        now = {
            menu: sorted(
                sorted((k, v) for k, v in item.items() if k not in (".id", "uptime"))
                for item in sim.items(menu)
            )
            for menu in (PROFILE, SECRET, ACTIVE)
        }
        final = final or now
        assert now == final, f"different end state after a drop at write {dropped_after}"
    assert final is not None
    assert [dict(item)["name"] for item in final[ACTIVE]] == ["tech"]


def test_one_unreachable_router_among_three(tmp_path: Path, fleet3: Fleet) -> None:
    customers = {f"c{i}": customer(f"C{i}", router=f"r{i}") for i in (1, 2, 3)}
    state = repo(tmp_path, fleet3, customers)
    fleet3["r2"].stop()
    planned = plan(state, fleet3)
    assert [r.status for r in planned.routers] == ["ok", "error", "ok"]
    assert "r2" in (planned.routers[1].error or "")
    report = run_apply(planned, state, environ=fleet3.environ)
    assert not report.ok
    assert [r.ok for r in report.routers] == [True, False, True]
    assert names(fleet3["r1"], SECRET) == ["c1"] and names(fleet3["r3"], SECRET) == ["c3"]


def test_unsafe_router_is_refused_then_forced(tmp_path: Path, fleet3: Fleet) -> None:
    customers = {f"a{i}": customer(f"A{i}") for i in range(10)}
    customers["b"] = customer("B", router="r2")
    state = repo(tmp_path, fleet3, customers)
    converge(state, fleet3)
    suspended = {
        cid: customer(f"A{cid[1:]}", status="suspended")
        for cid in customers
        if cid.startswith("a") and int(cid[1:]) < 4
    }
    state = repo(tmp_path, fleet3, {**customers, **suspended, "b": customer("B2", router="r2")})
    planned = plan(state, fleet3)
    assert planned.routers[0].status == "unsafe"
    assert planned.routers[0].unsafe_reason == "would disable 4 of 10 managed secrets (40% > 30%)"
    refused = run_apply(planned, state, environ=fleet3.environ)
    assert [r.status for r in refused.routers] == ["refused", "applied", "unchanged"]
    assert not refused.ok
    assert "unsafe plan refused" in refused.routers[0].errors[0]
    assert by_name(fleet3["r1"], SECRET)["a0"]["disabled"] == "false"
    assert by_name(fleet3["r2"], SECRET)["b"]["comment"] == "isk:b B2"
    forced = run_apply(plan(state, fleet3), state, environ=fleet3.environ, force=True)
    assert forced.ok
    assert by_name(fleet3["r1"], SECRET)["a0"]["disabled"] == "true"


def test_saved_plan_keeps_ciphertext_and_refuses_a_stale_router(
    tmp_path: Path, fleet3: Fleet, demo_identity: Path
) -> None:
    recipient = DEMO_RECIPIENT.read_text().strip()
    ciphertext = encrypt("plain-secret-77", [recipient])
    customers = {
        "c1": customer("C1", router="r1", password=ciphertext),
        "c2": customer("C2", router="r2", password=ciphertext),
    }
    settings = {"secrets": {"allow_plaintext": False, "recipients": [recipient]}}
    state = repo(tmp_path, fleet3, customers, settings=settings)
    environ = {**fleet3.environ, "ISK_AGE_IDENTITY_FILE": str(demo_identity)}
    saved = render_json(run_plan(state, AS_OF, environ=environ), saved=True)
    assert "plain-secret-77" not in saved
    document = json.loads(saved)
    (create,) = [c for c in document["routers"][0]["changes"] if c["kind"] == "secret"]
    assert create["password"] == {"age": ciphertext}
    assert create["fields"]["password"] == {"from": None, "to": "(set)"}
    # Someone changes r2 by hand after the plan was made.
    fleet3["r2"].add(SECRET, {"name": "walkin", "password": "x", "comment": "by hand"})
    loaded = load_plan(saved, state)
    report = run_apply(loaded, state, environ=environ)
    statuses = {r.router: r.status for r in report.routers}
    assert statuses == {"r1": "applied", "r2": "stale", "r3": "applied"}
    assert report.routers[1].errors == (
        "stale plan: router r2 changed since the plan was made; plan again",
    )
    assert by_name(fleet3["r1"], SECRET)["c1"]["password"] == "plain-secret-77"
    assert names(fleet3["r2"], SECRET) == ["walkin"]


def test_sessions_coming_and_going_do_not_make_a_plan_stale(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    state = repo(tmp_path, fleet, {"a": customer("A"), "s": customer("S")})
    converge(state, fleet)
    sim.add_session("s")
    sim.add_session("a")
    state = repo(tmp_path, fleet, {"a": customer("A"), "s": customer("S", status="suspended")})
    saved = render_json(plan(state, fleet), saved=True)
    # Between plan and apply: s hangs up by itself, a reconnects, someone else logs in.
    snapshot = sim.dump()
    snapshot["menus"][ACTIVE] = []
    sim.load(snapshot)
    sim.add_session("a")
    sim.add_session("tech")
    report = run_apply(load_plan(saved, state), state, environ=fleet.environ)
    assert report.ok, report
    assert by_name(sim, SECRET)["s"]["disabled"] == "true"
    assert names(sim, ACTIVE) == ["a", "tech"]


def test_routeros_718_empty_replies(tmp_path: Path) -> None:
    with ExitStack() as stack:
        modern = Fleet(stack, ("r1",), version="7.18.2")
        state = repo(tmp_path, modern, {"a": customer("A")})
        assert not converge(state, modern).has_changes
        assert names(modern["r1"], SECRET) == ["a"]


def test_trap_on_one_write_is_reported_and_stops_later_groups(tmp_path: Path, fleet: Fleet) -> None:
    sim = fleet["r1"]
    state = repo(tmp_path, fleet, {"a": customer("A"), "b": customer("B")})
    sim.faults.trap_on = {"/ppp/secret/add b": "failure: out of memory"}
    report = run_apply(plan(state, fleet), state, environ=fleet.environ)
    (result,) = report.routers
    assert not result.ok
    assert "/ppp/secret/add b failed: failure: out of memory" in result.errors[0]
    assert [change.name for change in result.residual] == ["b"]
    sim.faults.trap_on = {}
    assert not converge(state, fleet).has_changes


def _profiles() -> Mapping[str, dict[str, Any]]:
    from tests.helpers.isp import PROFILES

    return PROFILES


def _biz(routeros: dict[str, str]) -> dict[str, dict[str, Any]]:
    biz = {"description": "Bisnis", "price": 1, "rate_limit": "50M/50M", "routeros": routeros}
    return {**PROFILES, "biz": biz}


def test_passthrough_key_removed_from_yaml_is_unset_and_hand_tweaks_stay(
    tmp_path: Path, fleet: Fleet
) -> None:
    sim = fleet["r1"]
    customers = {"a": customer("A", profile="biz")}
    both = {"change-tcp-mss": "yes", "on-up": ":log info up"}
    state = repo(tmp_path, fleet, customers, profiles=_biz(both))
    assert not converge(state, fleet).has_changes
    biz = by_name(sim, PROFILE)["biz"]
    assert biz["on-up"] == ":log info up"
    assert biz["comment"] == "isk:profile Bisnis [routeros: change-tcp-mss,on-up]"
    # A technician tunes a field isk never wrote: it is not isk's to undo.
    snapshot = sim.dump()
    for item in snapshot["menus"][PROFILE]:
        if item["name"] == "biz":
            item["idle-timeout"] = "10m"
    sim.load(snapshot)
    state = repo(tmp_path, fleet, customers, profiles=_biz({"change-tcp-mss": "yes"}))
    (change,) = plan(state, fleet).routers[0].changes
    assert (change.action, change.name) == ("update", "biz")
    assert change.fields["on-up"] == (":log info up", None)
    assert change.target["on-up"] == ""  # unset
    assert not converge(state, fleet).has_changes
    biz = by_name(sim, PROFILE)["biz"]
    assert "on-up" not in biz
    assert biz["change-tcp-mss"] == "yes"
    assert biz["idle-timeout"] == "10m"
    assert biz["comment"] == "isk:profile Bisnis [routeros: change-tcp-mss]"
    # The last key gone: the record goes too.
    state = repo(tmp_path, fleet, customers, profiles=_biz({}))
    assert not converge(state, fleet).has_changes
    biz = by_name(sim, PROFILE)["biz"]
    assert "change-tcp-mss" not in biz
    assert biz["comment"] == "isk:profile Bisnis"


def test_passthrough_removal_interrupted_after_the_unset_converges(
    tmp_path: Path, fleet: Fleet
) -> None:
    sim = fleet["r1"]
    customers = {"a": customer("A", profile="biz")}
    state = repo(tmp_path, fleet, customers, profiles=_biz({"on-up": ":log info up"}))
    assert not converge(state, fleet).has_changes
    state = repo(tmp_path, fleet, customers, profiles=_biz({}))
    sim.reset_counters()
    sim.faults.drop_after_writes = 1  # the unset lands, the comment does not
    assert not run_apply(plan(state, fleet), state, environ=fleet.environ).ok
    sim.faults.drop_after_writes = None
    biz = by_name(sim, PROFILE)["biz"]
    assert "on-up" not in biz
    assert biz["comment"].endswith("[routeros: on-up]")
    assert not converge(state, fleet).has_changes
    assert by_name(sim, PROFILE)["biz"]["comment"] == "isk:profile Bisnis"


def test_apply_verifies_with_the_plans_own_standings_and_recomputes_for_another_state(
    tmp_path: Path, fleet: Fleet
) -> None:
    """The verification re-plan reuses the billing standings the plan was made with (no
    second billing pass) when applying to the same State; a plan applied to another
    State (a saved plan, a reloaded repo) is first recomputed against that State's billing,
    and refused when it is not that plan (reconcile.verify), nothing written."""
    from isk_reconcile.billing.engine import standings
    from isk_reconcile.reconcile.passwords import decrypt_passwords
    from isk_reconcile.reconcile.plan import make_plan
    from isk_reconcile.routeros.fleet import read_all

    state = repo(tmp_path, fleet, {"p": customer("Payer", status="active")})
    grace = date(2026, 1, 2)  # unpaid, but still in grace: enabled then, suspended on AS_OF

    def early_plan(for_state: State) -> Plan:
        live = read_all(for_state, ["r1"], fleet.environ)
        passwords = decrypt_passwords(for_state, fleet.environ)
        return make_plan(for_state, AS_OF, standings(for_state, grace), live, passwords=passwords)

    same = run_apply(early_plan(state), state, environ=fleet.environ)
    assert same.ok, same  # verified against the plan's standings: enabled
    assert by_name(fleet["r1"], SECRET)["p"]["disabled"] == "false"
    hand_made = {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"}
    fleet["r1"].load({"menus": {"/ip/pool": [hand_made]}})  # everything else wiped
    other = load_state(tmp_path, cache=False)
    report = run_apply(early_plan(state), other, environ=fleet.environ)
    (result,) = report.routers
    assert result.status == "refused", result
    assert "saved plan refused" in result.errors[0]
    assert names(fleet["r1"], SECRET) == []
