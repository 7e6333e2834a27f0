"""What the loader refuses or warns about because a state file may come from a stranger's
pull request (issue 9): control characters, symlinks out of the repository, router
password variables that could name another secret, readable transports."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from isk_reconcile.errors import ValidationFailed
from isk_reconcile.state.loader import load_routers_text, load_state
from isk_reconcile.untrusted import CONTROL, ZERO_WIDTH, control_problem, nfkc, visible


def write(repo: Path, routers: dict, customers: dict | None = None) -> Path:
    (repo / "state/customers").mkdir(parents=True, exist_ok=True)
    (repo / "state/profiles").mkdir(parents=True, exist_ok=True)
    (repo / "state/settings.yaml").write_text("secrets: {allow_plaintext: true}\n")
    (repo / "state/routers.yaml").write_text(yaml.safe_dump(routers))
    (repo / "state/profiles/home.yaml").write_text("price: 100000\nrate_limit: 10M/10M\n")
    for cid, document in (customers or {}).items():
        text = yaml.safe_dump(document)  # escapes: raw NEL would fold to a space
        (repo / f"state/customers/{cid}.yaml").write_text(text)
    return repo


def customer(name: str, **extra: object) -> dict:
    return {
        "name": name, "router": "r1", "start": "2026-01-01", "profile": "home",
        "status": "free", "pppoe": {"password": "pw"}, **extra,
    }  # fmt: skip


LOOPBACK = {"r1": {"host": "127.0.0.1", "password_env": "ISK_ROUTER_R1_PASSWORD"}}


def errors_of(repo: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        load_state(repo, cache=False)
    return [str(error) for error in failed.value.errors]


@pytest.mark.parametrize(
    "variable", ["ISK_AGE_IDENTITY", "HOME", "isk_router_r1", "ISK_ROUTER_", "AGE-SECRET-KEY-1QQ"]
)
def test_password_env_must_name_a_router_variable(tmp_path: Path, variable: str) -> None:
    repo = write(tmp_path, {"r1": {"host": "127.0.0.1", "password_env": variable}})
    (error,) = errors_of(repo)
    assert error.startswith("state/routers.yaml:3:17: ")  # the value, under r1:
    assert "r1.password_env: must name a router password variable matching" in error
    if variable.startswith("AGE"):
        assert variable not in error  # a password-looking value is never echoed


def test_read_user_needs_its_variable(tmp_path: Path) -> None:
    routers = {"r1": {**LOOPBACK["r1"], "read_username": "isk-read"}}
    (error,) = errors_of(write(tmp_path, routers))
    assert "read_username and read_password_env go together" in error


@pytest.mark.parametrize(
    ("text", "code"),
    [("a\tb", "0009"), ("a\nb", "000A"), ("a\x1b[2Jb", "001B"), ("a\x7f", "007F"),
     ("a\x85", "0085"), ("a\u202eb", "202E"), ("a\u2066b", "2066"), ("\x00", "0000")],
)  # fmt: skip
def test_control_characters_are_refused_in_every_text_field(
    tmp_path: Path, text: str, code: str
) -> None:
    repo = write(
        tmp_path,
        {"r1": {**LOOPBACK["r1"], "description": text}},
        {"budi": customer("Budi", address=text, notes=text, pppoe={"password": text})},
    )
    (tmp_path / "payments").mkdir()
    (tmp_path / "payments/l.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "id": "p1",
                    "customer": "budi",
                    "amount": 1,
                    "date": "2026-01-02",
                    "method": "cash",
                    "reference": text,
                }
            ]
        )  # fmt: skip
    )
    errors = errors_of(repo)
    where = {error.split(": ", 2)[1] for error in errors if f"U+{code}" in error}
    assert {"r1.description", "address", "notes", "pppoe.password", "[0].reference"} <= where
    for error in errors:
        assert not CONTROL.search(visible(error))


def test_free_text_is_nfkc_normalised(tmp_path: Path) -> None:
    repo = write(tmp_path, LOOPBACK, {"budi": customer("Ｂｕｄｉ ﬁber", address="Jl. Ⅻ")})
    state = load_state(repo, cache=False)
    assert state.customers["budi"].name == "Budi fiber"
    assert state.customers["budi"].address == "Jl. XII"


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(yaml.safe_dump(customer("Stolen")))
    repo = write(tmp_path / "isp", LOOPBACK)
    os.symlink(outside, repo / "state/customers/evil.yaml")
    os.symlink(tmp_path / "nowhere.yaml", repo / "state/customers/dangling.yaml")
    errors = errors_of(repo)
    assert any(
        error.startswith("state/customers/evil.yaml:1:1: refused: a symbolic link to outside")
        for error in errors
    ), errors
    assert any(error.startswith("state/customers/dangling.yaml:1:1: refused") for error in errors)
    # A link inside the repository is an ordinary file.
    (repo / "state/customers/evil.yaml").unlink()
    (repo / "state/customers/dangling.yaml").unlink()
    (repo / "real.yaml").write_text(yaml.safe_dump(customer("Inside")))
    os.symlink(repo / "real.yaml", repo / "state/customers/inside.yaml")
    assert load_state(repo, cache=False).customers["inside"].name == "Inside"


def test_plain_and_unverified_transports_are_warnings_at_their_line(tmp_path: Path) -> None:
    routers = {
        "lo": {"host": "127.0.0.1", "password_env": "ISK_ROUTER_LO_PASSWORD"},
        "far": {"host": "10.1.1.1", "tls": False},
        "unchecked": {"host": "10.1.1.2", "tls": True, "tls_verify": False},
        "good": {"host": "10.1.1.3", "tls": True, "tls_ca": "/etc/isk/ca.pem"},
    }
    state = load_state(write(tmp_path, routers), cache=False)
    warnings = {warning.field: str(warning) for warning in state.warnings}
    assert set(warnings) == {"far.tls", "unchecked.tls_verify"}
    assert warnings["far.tls"].startswith("state/routers.yaml:")
    assert "sends the password in clear" in warnings["far.tls"]
    assert "certificate is not checked" in warnings["unchecked.tls_verify"]


def test_routers_of_a_commit_are_judged_by_the_same_rules() -> None:
    text = b"ok: {host: 127.0.0.1}\nbad: {host: 127.0.0.1, password_env: ISK_AGE_IDENTITY}\n"
    assert list(load_routers_text(text)) == ["ok"]


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("\u200b")
@example("a\u200db\x1b")
def test_visible_text_never_holds_a_control_character(text: str) -> None:
    """Shown as it is exactly when the loader accepts it and it holds no zero-width
    character (valid in text, e.g. emoji sequences, but escaped where it is shown)."""
    shown = visible(text)
    assert not CONTROL.search(shown)
    hidden = re.search(f"[{ZERO_WIDTH}]", text)
    assert (control_problem(text) is None and hidden is None) == (shown == text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_nfkc_is_idempotent_and_normal(text: str) -> None:
    once = nfkc(text)
    assert nfkc(once) == once and unicodedata.is_normalized("NFKC", once)
