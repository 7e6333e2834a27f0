"""`isk demo`: drift seeding (pure) and the whole loop on the example ISP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

from isk_reconcile.reconcile.demo import (
    HAND_COMMENT,
    HAND_MADE_SECRET,
    OLD_PACKAGE,
    STALE_PASSWORD,
    WRONG_RATE_LIMIT,
    demo_seed,
    recreated_by_hand,
)
from isk_reconcile.reconcile.passwords import decrypt_passwords
from isk_reconcile.routeros.types import ACTIVE, PROFILE, SECRET
from isk_reconcile.state.loader import load_state

ISK = Path(sys.executable).parent / "isk"
AS_OF = date(2026, 11, 29)


def test_seed_holds_the_promised_drift(example_repo: Path) -> None:
    state = load_state(example_repo, cache=False)
    passwords = decrypt_passwords(state, os.environ)
    seed = demo_seed(state, AS_OF, passwords)
    assert set(seed.snapshots) == set(state.routers)
    menus = [snapshot["menus"] for snapshot in seed.snapshots.values()]
    secrets = [secret for menu in menus for secret in menu[SECRET]]
    profiles = [profile for menu in menus for profile in menu[PROFILE]]
    assert any(profile.get("rate-limit") == WRONG_RATE_LIMIT for profile in profiles)
    assert [s for s in secrets if s["name"] == HAND_MADE_SECRET][0]["comment"].startswith("test")
    assert sum(1 for secret in secrets if secret.get("password") == STALE_PASSWORD) == 1
    assert sum(len(menu[ACTIVE]) for menu in menus) >= 3
    assert any("is new" in line for line in seed.drift)
    assert any("paid but is still" in line for line in seed.drift)
    assert any(p["name"] == OLD_PACKAGE and p["comment"].startswith("isk:") for p in profiles)
    # The terminated customer's secret is still there, with a live session.
    terminated = [c for c in state.customers.values() if c.status == "terminated"]
    left = [s["name"] for s in secrets if s["name"] in {c.username for c in terminated}]
    assert len(left) == 1
    assert any(session["name"] == left[0] for menu in menus for session in menu[ACTIVE])
    # The conflict step's customer is untouched by the other drift.
    assert seed.conflict is not None
    router, name = seed.conflict
    assert not any(name in line for line in seed.drift)
    assert name in {s["name"] for s in seed.snapshots[router]["menus"][SECRET]}
    # Deterministic: the same repo and date seed the same routers.
    assert demo_seed(state, AS_OF, passwords).snapshots == seed.snapshots


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_runs_the_whole_loop_and_ends_empty(example_repo: Path) -> None:
    routers = example_repo / "state" / "routers.yaml"
    text = routers.read_text()
    # Free ports instead of 18728-18730, so the test never collides with a running demo.
    text = re.sub(r"port: 1872[89]|port: 18730", lambda _: f"port: {free_port()}", text)
    routers.write_text(text)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ISK_")}
    files = sorted(example_repo.rglob("*.yaml"))
    before = [path.read_bytes() for path in files]
    result = subprocess.run(
        [str(ISK), "--no-color", "--repo", str(example_repo), "--as-of", AS_OF.isoformat(), "demo"],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    first, rest = out.split("2. isk apply", 1)
    applied, rest = rest.split("3. isk plan", 1)
    again, rest = rest.split("4. a conflict", 1)
    conflict, status = rest.split("5. isk status", 1)
    for expected in (
        "update profile",
        "disable secret",
        "disable (isolate) secret",
        "enable secret",
        "disconnect session",
        "create secret",
        "delete secret",
        f"delete profile {OLD_PACKAGE}",
        "password: (changed)",
        "1 unmanaged",
    ):
        assert expected in first, expected
    # Every verb but conflict in the first plan: conflicts have their own step.
    assert "conflict secret" not in first
    assert "NOT converged" not in applied and "verified" in applied
    assert "No changes: the routers match the repository." in again
    shown, adopted = conflict.split("--adopt --auto-approve", 1)
    assert "! conflict secret" in shown and "1 conflict(s) not applied" in shown
    assert "~ update secret" in adopted and "adopted:" in adopted
    assert "1 write(s) applied, verified" in adopted
    assert adopted.rstrip(" ─\n").endswith("No changes: the routers match the repository.")
    assert status.strip()
    _, sessions = status.split("6. isk sessions", 1)
    sessions, office = sessions.split("7. everyday office work", 1)
    assert "Sessions as of 2026-11-29:" in sessions and "suspended but online" in sessions
    # a package change and a hold, on a scratch copy: the example itself stays as it was
    assert "$ isk customer set-profile" in office and "+profile: [{from: " in office
    assert "$ isk customer hold" in office and "+holds:" in office
    assert not (set(office.split()) & {"error:", "Traceback"})
    assert sorted(example_repo.rglob("*.yaml")) == files
    assert [path.read_bytes() for path in files] == before
    assert "Demo finished" in out
    assert STALE_PASSWORD not in out + result.stderr


def test_recreated_by_hand_drops_ownership_and_keeps_the_account() -> None:
    snapshot = {
        "menus": {
            SECRET: [
                {".id": "*1", "name": "a", "comment": "isk:a A", "password": "pw"},
                {".id": "*2", "name": "b", "comment": "isk:b B", "password": "pw2"},
            ]
        }
    }
    remade = recreated_by_hand(snapshot, "a")
    secrets = remade["menus"][SECRET]
    assert [s["name"] for s in secrets] == ["b", "a"]  # re-created: a new entry (new id)
    assert secrets[1] == {"name": "a", "comment": HAND_COMMENT, "password": "pw"}
    assert snapshot["menus"][SECRET][0]["comment"] == "isk:a A"  # the input is unchanged
