"""`isk validate`, `isk secrets keygen|encrypt` and `isk customer password` end to end."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import git
import pytest

from isk_reconcile.cli import _group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.state import encryption
from tests.helpers import BAD_INPUTS, PROJECT

BASE = BAD_INPUTS / "_base"
DEMO_PASSWORD_OF_BUDI = "budi1234"  # what tests/bad_inputs/_base encrypts to the demo key


def isk(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(_group, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def repo(tmp_path: Path, demo_identity: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(BASE, target, ignore=shutil.ignore_patterns(".isk-cache"))
    return target


def test_validate_example_repo(example_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = isk(capsys, "--repo", str(example_repo), "--as-of", "2026-11-29", "validate")
    assert code == 0, err
    assert out.startswith("ok: ") and "routers" in out and "customers" in out
    assert out.rstrip().endswith("(0 warnings, as of 2026-11-29)")


def test_validate_reports_every_error_and_exits_1(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "state/profiles/home-10m.yaml").write_text("price: 1.5\nrate_limit: 10M/10M\n")
    (repo / "state/profiles/isolir.yaml").write_text("rate_limit: fast\n")
    code, out, err = isk(capsys, "--repo", str(repo), "validate")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "state/profiles/home-10m.yaml:1:8: price: 1.5 is not a whole number "
        "(money is an integer in rupiah, no decimals)",
        "state/profiles/isolir.yaml:1:13: rate_limit: 'fast' is not a RouterOS rate-limit "
        "(e.g. 10M/10M, or 10M/10M 20M/20M 8M/8M 16/16 8 5M/5M)",
        "error: 2 errors in the state repository",
    ]


def test_validate_warns_about_future_entries(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = isk(capsys, "--repo", str(repo), "--as-of", "2026-01-16", "validate")
    assert code == 0
    assert err.splitlines() == [
        "warning: payments/2026-01.yaml:7:1: P-2026-01-0002.date: dated 2026-01-20, "
        "after the as-of date 2026-01-16: not counted yet"
    ]
    assert "(1 warning, as of 2026-01-16)" in out


def test_many_warnings_are_summarised(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        f"- {{id: W-{n}, customer: budi, amount: 1, date: 2026-03-01, method: cash}}"
        for n in range(30)
    ]
    (repo / "payments/2026-03.yaml").write_text("\n".join(lines) + "\n")
    code, out, err = isk(capsys, "--repo", str(repo), "--as-of", "2026-02-01", "validate")
    assert code == 0 and "(30 warnings" in out
    assert len(err.splitlines()) == 21 and err.splitlines()[-1].endswith("10 more (-v shows all)")
    code, out, err = isk(capsys, "--repo", str(repo), "--as-of", "2026-02-01", "-v", "validate")
    assert len(err.splitlines()) == 30


def test_validate_as_a_process_has_no_traceback(repo: Path) -> None:
    (repo / "state/customers/budi.yaml").write_text("name: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), "validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("state/customers/budi.yaml:2:1: YAML syntax error")


def test_keygen_prints_identity_and_public_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = isk(capsys, "secrets", "keygen")
    assert code == 0
    comment, key = out.splitlines()
    identity = encryption.parse_identity(key, "test")
    assert comment == f"# public key: {identity.public}"


def test_keygen_out_writes_a_private_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "identity.txt"
    code, out, _ = isk(capsys, "secrets", "keygen", "--out", str(path))
    assert code == 0
    assert "AGE-SECRET-KEY" not in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    identity = encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(path)})
    assert out.strip() == identity.public
    code, _, err = isk(capsys, "secrets", "keygen", "--out", str(path))
    assert code == 1 and "already exists" in err


def test_encrypt_to_repo_recipients_and_decrypt(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pw\n"))
    code, out, _ = isk(capsys, "--repo", str(repo), "secrets", "encrypt")
    assert code == 0 and out.startswith("age:") and "s3cret" not in out
    assert encryption.decrypt(out.strip(), encryption.load_identity()) == "s3cret-pw"


def test_encrypt_to_a_given_recipient(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    identity_text, public = encryption.generate_identity()
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw"))
    code, out, _ = isk(capsys, "--repo", str(repo), "secrets", "encrypt", "--recipient", public)
    assert code == 0
    assert encryption.decrypt(out.strip(), encryption.parse_identity(identity_text, "t")) == "pw"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = isk(capsys, "--repo", str(repo), "secrets", "encrypt", "--recipient", public)
    assert code == 1 and "nothing to encrypt" in err


def test_customer_password_for_the_technician(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = isk(capsys, "--repo", str(repo), "customer", "password", "budi")
    assert (code, out) == (0, DEMO_PASSWORD_OF_BUDI + "\n")
    # The same wording as every other command that takes a customer id (was: no customer 'x').
    code, _, err = isk(capsys, "--repo", str(repo), "customer", "password", "nobody")
    assert code == 1 and err.strip() == "error: no such customer: nobody"
    code, _, err = isk(capsys, "--repo", str(repo), "customer", "password", "budy")
    assert code == 1 and err.strip() == "error: no such customer: budy (did you mean 'budi'?)"
    monkeypatch.delenv("ISK_AGE_IDENTITY_FILE")
    code, out, err = isk(capsys, "--repo", str(repo), "customer", "password", "budi")
    assert code == 1 and out == "" and "no age identity" in err


def test_customer_password_with_a_binary_identity_file_is_one_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # E.g. the age identity pointed at a .age file or a key in another format by mistake.
    binary = tmp_path / "identity.age"
    binary.write_bytes(b"\xff\xfe\x00AGE-SECRET-KEY-1MARKER\x80\x81")
    monkeypatch.setenv("ISK_AGE_IDENTITY_FILE", str(binary))
    code, out, err = isk(capsys, "--repo", str(repo), "customer", "password", "budi")
    assert (code, out) == (1, "")
    assert err == (
        f"error: $ISK_AGE_IDENTITY_FILE ({binary}): not a text file (not UTF-8); "
        "expected an age identity file with one AGE-SECRET-KEY-1... line\n"
    )
    assert "internal error" not in err and "MARKER" not in err and "0xff" not in err


def test_validate_base_runs_the_git_guards(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Not a git repository: the guards say so in one line (no traceback).
    code, _, err = isk(capsys, "--repo", str(repo), "validate", "--base", "HEAD")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_secret_in_environment_dump() -> None:
    # The demo identity file is the only private key in the project (SPEC §7).
    project = PROJECT
    assert os.path.exists(project / "demo" / "age-identity.txt")
    text = (project / "demo" / "age-identity.txt").read_text()
    assert text.startswith("# DEMO IDENTITY for the example ISP only")


def test_validate_base_in_a_git_repository(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    handle = git.Repo.init(repo)
    handle.index.add(["state", "payments"])
    handle.index.commit("base", author=git.Actor("t", "t@example.com"))
    code, out, err = isk(capsys, "--repo", str(repo), "validate", "--base", "HEAD")
    assert code == 0, err
    assert out.rstrip().endswith("; git guards against HEAD: ok")
