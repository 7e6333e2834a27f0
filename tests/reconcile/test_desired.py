"""Desired router state (SPEC §4), from small state repositories written in tmp_path.

`write_repo` here is the small-repo builder the reconciler tests share.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.errors import IskError
from isk_reconcile.reconcile.desired import desired_state
from tests.helpers import DEMO_IDENTITY_FILE
from tests.helpers.isp import AS_OF, PROFILES, customer, desired_for, load, write_repo

# --- tests ------------------------------------------------------------------------------


def test_enabled_secret_has_every_managed_field(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {
            "jose": customer(
                "José Ramírez",
                pppoe={
                    "username": "jose01",
                    "remote_address": "10.20.0.15",
                    "caller_id": "AA:BB:CC:DD:EE:FF",
                },
            )
        },
    )
    desired = desired_for(root)
    secret = desired.secrets["jose01"]
    assert secret.customer == "jose"
    assert secret.access == "enabled"
    assert dict(secret.attrs) == {
        "name": "jose01",
        "service": "pppoe",
        "profile": "home-10m",
        "remote-address": "10.20.0.15",
        "caller-id": "AA:BB:CC:DD:EE:FF",
        "comment": "isk:jose Jose Ramirez",
        "disabled": "false",
        "password": "s3cret-pw",
    }
    assert "s3cret-pw" not in repr(secret)


def test_profiles_are_canonical_and_filtered_by_router(tmp_path: Path) -> None:
    profiles = dict(PROFILES)
    profiles["biz"] = {
        "description": "Bisnis",
        "price": 1,
        "rate_limit": "50M/50M",
        "routers": ["r2"],
        "routeros": {"change-tcp-mss": "yes"},
    }
    routers = {"r1": {"host": "127.0.0.1"}, "r2": {"host": "127.0.0.1"}}
    root = write_repo(tmp_path, {"a": customer("A")}, profiles=profiles, routers=routers)
    desired = desired_for(root)
    assert set(desired.profiles) == {"home-10m", "home-20m", "isolir"}
    home = desired.profiles["home-10m"].attrs
    assert home["rate-limit"] == "10M/10M"
    assert home["dns-server"] == "10.20.0.1,1.1.1.1"
    assert home["only-one"] == "yes"
    assert home["comment"] == "isk:profile Paket Rumah 10 Mbps"
    assert home["parent-queue"] == ""  # managed but empty: cleared on the router
    biz = desired_for(root, "r2").profiles["biz"].attrs
    assert biz["change-tcp-mss"] == "yes"


def test_suspended_in_disable_mode_is_disabled(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"s": customer("S", status="suspended", suspend_reason="moved")})
    secret = desired_for(root).secrets["s"]
    assert secret.access == "suspended"
    assert secret.attrs["disabled"] == "true"
    assert secret.attrs["profile"] == "home-10m"
    assert "moved" in secret.reason


def test_isolate_mode_moves_to_isolate_profile_and_drops_static_ip(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {"s": customer("S", status="suspended", pppoe={"remote_address": "10.20.0.9"})},
        settings={"suspend": {"mode": "isolate", "isolate_profile": "isolir"}},
    )
    secret = desired_for(root).secrets["s"]
    assert secret.isolated
    assert secret.attrs["profile"] == "isolir"
    assert secret.attrs["remote-address"] == ""
    assert secret.attrs["disabled"] == "false"


def test_unpaid_customer_is_suspended_with_the_billing_reason(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"late": customer("Late", status="active")})
    secret = desired_for(root).secrets["late"]
    assert secret.access == "suspended"
    assert "unpaid invoice late/2026-01-01" in secret.reason


def test_absent_accounts_are_not_desired(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {
            "gone": customer("Gone", status="terminated", end="2026-06-30"),
            "later": customer("Later", start="2027-01-01"),
        },
    )
    desired = desired_for(root)
    assert desired.secrets == {}
    assert set(desired.absent) == {"gone", "later"}


def test_numeric_username_and_password_stay_strings(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path, {"c2024": customer("N", password="123456", pppoe={"username": "2024"})}
    )
    secret = desired_for(root).secrets["2024"]
    assert secret.attrs["name"] == "2024"
    assert secret.attrs["password"] == "123456"


def test_password_that_cannot_be_decrypted_is_an_error(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a": customer("A")})
    state = load(root)
    with pytest.raises(IskError, match="customer a: password"):
        desired_state(state, standings(state, AS_OF), "r1", {})
    by_stored_value = {"s3cret-pw": "s3cret-pw"}  # passwords are keyed by customer id only
    with pytest.raises(IskError, match="customer a: password"):
        desired_state(state, standings(state, AS_OF), "r1", by_stored_value)
    desired = desired_state(state, standings(state, AS_OF), "r1", {"a": "s3cret-pw"})
    assert desired.secrets["a"].attrs["password"] == "s3cret-pw"


def test_example_repo_desired_state(example_repo: Path) -> None:
    from isk_reconcile.reconcile.passwords import decrypt_passwords

    state = load(example_repo)
    passwords = decrypt_passwords(state, {"ISK_AGE_IDENTITY_FILE": str(DEMO_IDENTITY_FILE)})
    everything = standings(state, AS_OF)
    comments = []
    for router in state.routers:
        desired = desired_state(state, everything, router, passwords)
        comments += [secret.attrs["comment"] for secret in desired.secrets.values()]
    assert comments
    assert all(comment.isascii() and comment.startswith("isk:") for comment in comments)
