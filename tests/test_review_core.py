"""Independent review of the core (SPEC §2-§5, §7): behaviour checked during the review
that no other test pinned down. Real TCP to the simulator, real loader, no mocks."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.apply import run_apply
from isk_reconcile.billing import periods, standing
from isk_reconcile.errors import ValidationFailed
from isk_reconcile.loader import load_state
from isk_reconcile.plan import PENDING_MARK
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
