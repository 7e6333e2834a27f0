"""Independent review of the core (SPEC §2-§5, §7): behaviour checked during the review
that no other test pinned down. Real TCP to the simulator, real loader, no mocks."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import periods, standing
from isk_reconcile.errors import ValidationFailed
from isk_reconcile.reconcile.apply import run_apply, run_plan
from isk_reconcile.reconcile.plan import PENDING_MARK
from isk_reconcile.state.loader import load_state
from tests.test_apply import ACTIVE, SECRET, Fleet, by_name, plan, repo
from tests.test_desired import customer, desired_for, load, write_repo
from tests.test_plan import applied, plan_for

ISOLATE = {"suspend": {"mode": "isolate", "isolate_profile": "isolir"}}


def _ten(suspended: int) -> dict[str, dict]:
    return {
        f"c{i}": customer(f"C{i}", status="suspended" if i < suspended else "free")
        for i in range(10)
    }


@pytest.mark.parametrize(("suspended", "status"), [(3, "ok"), (4, "unsafe")])
def test_isolating_counts_against_max_disable_percent(
    tmp_path: Path, suspended: int, status: str
) -> None:
    """Isolation is a `disable` for the safety rule: 3 of 10 is 30% (allowed), 4 is 40%."""
    before = desired_for(write_repo(tmp_path / "before", _ten(0), settings=ISOLATE))
    root = write_repo(tmp_path / "after", _ten(suspended), settings=ISOLATE)
    router = plan_for(root, applied(before)).routers[0]
    assert sum(1 for c in router.changes if c.action == "disable") == suspended
    assert router.status == status


def test_monthly_periods_clamp_and_grace_boundary(tmp_path: Path) -> None:
    """Jan 31 → Feb 29 → Mar 31 → Apr 30 (anchored on the start day); the last grace day
    is still enabled, the day after is suspended."""
    payment = {
        "id": "P1",
        "customer": "a",
        "amount": 450_000,
        "date": "2024-01-31",
        "method": "cash",
    }
    root = write_repo(
        tmp_path,
        {"a": customer("A", status="active", start="2024-01-31")},
        payments=[payment],
    )
    state = load(root)
    starts = [p.start for p in periods(state.customers["a"], state.settings, date(2024, 5, 1))]
    assert starts == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    last_grace_day = standing(state, "a", date(2024, 5, 3))
    assert last_grace_day.access == "enabled"
    assert last_grace_day.paid_through == date(2024, 4, 29)
    after = standing(state, "a", date(2024, 5, 4))
    assert after.access == "suspended"
    assert after.reason == (
        "unpaid invoice a/2024-04-30 (Rp150.000) due 2024-04-30, grace ended 2024-05-03"
    )


def test_pending_mark_then_customer_deleted_converges(tmp_path: Path) -> None:
    """Apply drops right after writing the `[disconnect pending]` mark; the customer is
    then removed from the repo: the next apply cuts the session and deletes the secret."""
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = {"a": customer("A"), "b": customer("B")}
        state = repo(tmp_path, fleet, customers)
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        sim.add_session("a")
        customers["a"] = customer("A", status="suspended")
        state = repo(tmp_path, fleet, customers)
        sim.reset_counters()
        sim.faults.drop_after_writes = 1  # the disable (with the mark) lands, nothing more
        assert not run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["a"]["comment"].endswith(PENDING_MARK)
        assert [item["name"] for item in sim.items(ACTIVE)] == ["a"]

        del customers["a"]
        state = repo(tmp_path, fleet, customers)
        report = run_apply(plan(state, fleet), state, environ=fleet.environ)
        assert report.ok, report
        assert sim.items(ACTIVE) == []
        assert sorted(by_name(sim, SECRET)) == ["b"]
        assert not plan(state, fleet).has_changes


def test_broken_yaml_around_a_password_never_echoes_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"ok": customer("Ok")}, settings={"secrets": {}})
    documents = {
        "t5": 'pppoe:\n  password: "SuperSecret99\n  username: t5\n',
        "t6": "pppoe:\n  password: Secret: 77\n",
        "t7": "pppoe:\n  password: [SecretList]\n",
        "t8": "pppoe:\n  password: plainSecretText\n",
    }
    head = "name: T\nrouter: r1\nstart: 2026-01-01\nprofile: home-10m\n"
    for cid, body in documents.items():
        (root / "state" / "customers" / f"{cid}.yaml").write_text(head + body)
    with pytest.raises(ValidationFailed) as failed:
        load_state(root, cache=False)
    shown = "\n".join(str(error) for error in failed.value.errors)
    assert {e.loc.file for e in failed.value.errors} >= {
        f"state/customers/{cid}.yaml" for cid in documents
    }
    for secret in ("SuperSecret99", "Secret: 77", "SecretList", "plainSecretText"):
        assert secret not in shown


def test_sexagesimal_caller_id_is_a_yaml_trap(tmp_path: Path) -> None:
    """YAML 1.1 reads 10:20:30:40:50:11 as a base-60 integer."""
    root = write_repo(
        tmp_path, {"a": customer("A", pppoe={"caller_id": "placeholder"})}, settings={}
    )
    path = root / "state" / "customers" / "a.yaml"
    path.write_text(path.read_text().replace("placeholder", "10:20:30:40:50:11"))
    with pytest.raises(ValidationFailed) as failed:
        load_state(root, cache=False)
    (error,) = failed.value.errors
    assert error.field == "pppoe.caller_id"
    assert "quote it" in error.hint or "quote it" in error.message


# --- reconciler review fixes (each against the simulator over real TCP) ---------------------


def test_customer_id_starting_with_profile_keeps_its_ownership(tmp_path: Path) -> None:
    """A terminated customer `profilenet-bts` with protect: true is kept (a note names
    it); an unprotected `profile2` is deleted under its own customer id."""
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = {
            "profilenet-bts": customer("BTS link", protect=True),
            "profile2": customer("P2"),
            **{f"c{i}": customer(f"C{i}") for i in range(20)},
        }
        state = repo(tmp_path, fleet, customers)
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        ended = {"status": "terminated", "end": "2026-10-31"}
        customers["profilenet-bts"] = customer("BTS link", protect=True, **ended)
        customers["profile2"] = customer("P2", **ended)
        state = repo(tmp_path, fleet, customers)
        router = plan(state, fleet).routers[0]
        deletes = [(c.name, c.customer) for c in router.changes if c.action == "delete"]
        assert deletes == [("profile2", "profile2")]
        assert any("customer profilenet-bts has protect: true" in note for note in router.notes)
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert "profilenet-bts" in by_name(sim, SECRET)
        assert "profile2" not in by_name(sim, SECRET)


def _suspended_pair(tmp_path: Path, fleet: Fleet, online: tuple[str, ...]) -> dict[str, dict]:
    """Customers a, b, c applied and online; then a and b are suspended by hand."""
    customers = {name: customer(name.upper()) for name in ("a", "b", "c")}
    state = repo(tmp_path, fleet, customers)
    assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
    for name in online:
        fleet["r1"].add_session(name)
    customers["a"] = customer("A", status="suspended", suspend_reason="x")
    customers["b"] = customer("B", status="suspended", suspend_reason="x")
    return customers


# Every account of these tiny routers is suspended on purpose: the any-size safety floor
# (tested in test_plan) is lifted.
NO_FLOOR = {"safety": {"max_disable_percent_any_size": 100}}


def test_one_failed_write_does_not_keep_other_suspended_customers_online(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = _suspended_pair(tmp_path, fleet, ("a", "b"))
        state = repo(tmp_path, fleet, customers, settings=NO_FLOOR)
        sim.faults.trap_on = {"/ppp/secret/set b": "failure: out of memory"}
        report = run_apply(plan(state, fleet), state, environ=fleet.environ)
        (result,) = report.routers
        assert not result.ok
        # a: disabled, its session cut, its pending mark cleared
        assert by_name(sim, SECRET)["a"]["disabled"] == "true"
        assert by_name(sim, SECRET)["a"]["comment"] == "isk:a A"
        assert [item["name"] for item in sim.items(ACTIVE)] == ["b"]
        # b: reported with customer and entry; its disconnect waits for its secret
        assert any(
            "customer b: /ppp/secret/set b failed: failure: out of memory" in error
            for error in result.errors
        )
        assert any("customer b: /ppp/active/remove b skipped" in e for e in result.errors)
        sim.faults.trap_on = {}
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert sim.items(ACTIVE) == []


def test_session_that_ends_before_its_removal_is_not_an_error(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = _suspended_pair(tmp_path, fleet, ("a",))
        state = repo(tmp_path, fleet, customers, settings=NO_FLOOR)
        made = plan(state, fleet)
        assert [c.name for c in made.routers[0].changes if c.kind == "session"] == ["a"]

        def hang_up(router: str, done: int, total: int) -> None:
            # The customer's CPE drops the session while apply is writing the secrets.
            with sim.lock:
                for item in sim.state.items(ACTIVE):
                    sim.state.remove(ACTIVE, {".id": item[".id"]})

        report = run_apply(made, state, environ=fleet.environ, progress=hang_up)
        assert report.ok, report
        assert sim.items(ACTIVE) == []


def test_a_name_ending_in_the_pending_mark_is_not_disconnected(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        biz = {
            "description": "Bisnis [routeros: on-up]",
            "price": 1,
            "rate_limit": "50M/50M",
        }
        profiles = {**_profiles(), "biz": biz}
        customers = {"a": customer("Budi [disconnect pending]", profile="biz")}
        state = repo(tmp_path, fleet, customers, profiles=profiles)
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["a"]["comment"] == "isk:a Budi (disconnect pending)"
        assert (
            by_name(sim, "/ppp/profile")["biz"]["comment"] == "isk:profile Bisnis (routeros: on-up)"
        )
        sim.add_session("a")
        with sim.lock:  # a technician's tweak on the package: not isk's to undo
            biz_id = by_name(sim, "/ppp/profile")["biz"][".id"]
            sim.state.set("/ppp/profile", {".id": biz_id, "on-up": ":log info up"})
        assert not plan(state, fleet).has_changes
        assert [item["name"] for item in sim.items(ACTIVE)] == ["a"]


def _profiles() -> dict[str, dict]:
    from tests.test_desired import PROFILES

    return dict(PROFILES)


def test_pending_mark_of_a_suspension_is_cleared_once_paid(tmp_path: Path) -> None:
    """Apply drops right after the disable (with its mark); the customer is restored
    before the next apply: the account is enabled and the session, set up with exactly
    that access, is left alone (only the mark goes)."""
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = _suspended_pair(tmp_path, fleet, ("a",))
        customers["b"] = customer("B")  # only a is suspended
        state = repo(tmp_path, fleet, customers)
        sim.reset_counters()
        sim.faults.drop_after_writes = 1
        assert not run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["a"]["comment"].endswith(PENDING_MARK)
        sim.faults.drop_after_writes = None

        customers["a"] = customer("A")
        state = repo(tmp_path, fleet, customers)
        router = plan(state, fleet).routers[0]
        assert [(c.action, c.name) for c in router.changes] == [("enable", "a")]
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["a"]["comment"] == "isk:a A"
        assert [item["name"] for item in sim.items(ACTIVE)] == ["a"]


def test_interrupted_profile_change_still_cuts_the_session(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        state = repo(tmp_path, fleet, {"a": customer("A")})
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        sim.add_session("a")
        state = repo(tmp_path, fleet, {"a": customer("A", profile="home-20m")})
        sim.reset_counters()
        sim.faults.drop_after_writes = 1
        assert not run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        sim.faults.drop_after_writes = None
        assert by_name(sim, SECRET)["a"]["comment"] == "isk:a A [disconnect pending: profile]"
        router = plan(state, fleet).routers[0]
        assert [(c.action, c.name) for c in router.changes] == [
            ("update", "a"),
            ("disconnect", "a"),
        ]
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert sim.items(ACTIVE) == []


def test_one_bad_ciphertext_stops_only_its_router(tmp_path: Path, demo_identity: Path) -> None:
    import pyrage

    from isk_reconcile.state.encryption import encrypt
    from tests.test_apply import DEMO_RECIPIENT

    recipient = DEMO_RECIPIENT.read_text().strip()
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    good = encrypt("good-pw-1", [recipient])
    bad = encrypt("other-key-pw", [stranger])
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1", "r2"))
        customers = {
            "ok1": customer("Ok", router="r1", password=good),
            # terminated: its secret is not desired, its password is never needed
            "gone": customer(
                "Gone", router="r1", password=bad, status="terminated", end="2026-01-31"
            ),
            "ok2": customer("Ok2", router="r2", password=good),
            "broken": customer("Broken", router="r2", password=bad),
        }
        settings = {"secrets": {"allow_plaintext": False, "recipients": [recipient]}}
        state = repo(tmp_path, fleet, customers, settings=settings)
        environ = {**fleet.environ, "ISK_AGE_IDENTITY_FILE": str(demo_identity)}
        made = run_plan(state, AS_OF_REVIEW, environ=environ)
        r1, r2 = made.routers
        assert r1.status == "ok" and r1.summary["create"] >= 1
        assert r2.status == "error"
        assert "customer broken (state/customers/broken.yaml)" in (r2.error or "")
        only_r1 = run_plan(state, AS_OF_REVIEW, routers=["r1"], environ=environ)
        assert [r.status for r in only_r1.routers] == ["ok"]
        report = run_apply(made, state, environ=environ)
        assert [r.status for r in report.routers] == ["applied", "error"]
        assert "ok1" in by_name(fleet["r1"], SECRET)


AS_OF_REVIEW = date(2026, 11, 29)


def test_unreadable_passwords_are_a_router_note(tmp_path: Path) -> None:
    """An API user without the `sensitive` policy reads secrets without passwords."""
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        state = repo(tmp_path, fleet, {"a": customer("A"), "b": customer("B")})
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        with sim.lock:  # what such a user sees: no password field at all
            for item in sim.state.tables[SECRET].items.values():
                item.pop("password", None)
        router = plan(state, fleet).routers[0]
        assert not router.changes
        assert router.notes == (
            "passwords not readable by the API user: 2 password(s) cannot be checked; "
            "give the user the sensitive policy",
        )


def test_connection_lost_counts_the_routers_whole_plan(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        state = repo(tmp_path, fleet, {"a": customer("A")})
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        profiles = _profiles()
        profiles["home-10m"] = {**profiles["home-10m"], "rate_limit": "12M/12M"}
        state = repo(tmp_path, fleet, {"a": customer("A", profile="home-20m")}, profiles=profiles)
        sim.reset_counters()
        sim.faults.drop_after_writes = 1  # the profile batch lands, the secret's does not
        (result,) = run_apply(plan(state, fleet), state, environ=fleet.environ).routers
        assert result.applied == 1
        assert any("connection lost after 1 of 2 writes of the plan" in e for e in result.errors)


def test_live_item_repr_hides_the_password() -> None:
    from isk_reconcile.routeros.types import LiveItem

    shown = repr(LiveItem("*1", {"name": "a", "password": "TopSecret42"}))
    assert "TopSecret42" not in shown and "'name': 'a'" in shown


def test_saved_plan_cuts_a_session_that_appeared_after_it_was_made(tmp_path: Path) -> None:
    from isk_reconcile.render.plan_json import load_plan, render_json

    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = _suspended_pair(tmp_path, fleet, ())
        customers["b"] = customer("B")  # only a is suspended
        state = repo(tmp_path, fleet, customers)
        saved = render_json(plan(state, fleet), saved=True)
        assert '"disconnect"' not in saved.split('"changes"')[1]
        sim.add_session("a")  # the customer dials in after the plan was reviewed
        loaded = load_plan(saved, state)
        assert run_apply(loaded, state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["a"]["disabled"] == "true"
        assert sim.items(ACTIVE) == []
        assert by_name(sim, SECRET)["a"]["comment"] == "isk:a A"


def test_head_commit_is_the_state_repos_own(tmp_path: Path) -> None:
    import git

    from isk_reconcile.gitops.history import head_commit

    outer = git.Repo.init(tmp_path)
    (tmp_path / "README").write_text("unrelated\n")
    outer.index.add(["README"])
    outer.index.commit("unrelated project")
    inner = write_repo(tmp_path / "isp", {"a": customer("A")})
    assert head_commit(inner) is None  # the parent repository does not track it
    outer.index.add(["isp/state/routers.yaml"])
    sha = outer.index.commit("track the ISP").hexsha
    assert head_commit(inner) == sha
    assert head_commit(tmp_path / "nowhere") is None


def test_a_profile_that_failed_to_be_created_skips_only_the_secrets_moving_onto_it(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        sim = fleet["r1"]
        customers = _suspended_pair(tmp_path, fleet, ("a",))
        customers["b"] = customer("B")
        customers["c"] = customer("C", profile="fast")
        profiles = {
            **_profiles(),
            "fast": {"description": "Fast", "price": 1, "rate_limit": "99M/99M"},
        }
        state = repo(tmp_path, fleet, customers, profiles=profiles)
        sim.faults.trap_on = {"/ppp/profile/add fast": "failure: out of memory"}
        (result,) = run_apply(plan(state, fleet), state, environ=fleet.environ).routers
        assert any(
            "/ppp/profile/add fast failed: failure: out of memory" in e for e in result.errors
        )
        assert any(
            "customer c: /ppp/secret/set c skipped: profile fast was not written" in e
            for e in result.errors
        )
        assert by_name(sim, SECRET)["c"]["profile"] == "home-10m"
        assert by_name(sim, SECRET)["a"]["disabled"] == "true"  # the rest still ran
        assert sim.items(ACTIVE) == []
        sim.faults.trap_on = {}
        assert run_apply(plan(state, fleet), state, environ=fleet.environ).ok
        assert by_name(sim, SECRET)["c"]["profile"] == "fast"
