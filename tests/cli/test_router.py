"""`isk router check` and `isk router reboot` against simulated routers over TCP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from isk_reconcile.cli import _group as isk
from isk_reconcile.cli.context import run_cli
from isk_reconcile.sim import SimulatedRouter

PASSWORD_VARIABLE = "ISK_ROUTER_TEST_PASSWORD"
API_PASSWORD = "cli-test-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sims() -> Iterator[dict[str, SimulatedRouter]]:
    routers = {
        name: SimulatedRouter(
            identity=f"ident-{name}",
            users={"isk-api": API_PASSWORD},
            version="7.16.2",
            host="127.0.0.1",
            port=0,
        )
        for name in ("alpha", "beta")
    }
    for router in routers.values():
        router.start()
    try:
        yield routers
    finally:
        for router in routers.values():
            router.stop()


def write_repo(root: Path, ports: dict[str, int]) -> Path:
    (root / "state" / "profiles").mkdir(parents=True)
    (root / "state" / "customers").mkdir(parents=True)
    (root / "payments").mkdir()
    lines = []
    for name, port in ports.items():
        lines += [
            f"{name}:",
            "  host: 127.0.0.1",
            f"  port: {port}",
            "  username: isk-api",
            f"  password_env: {PASSWORD_VARIABLE}",
            "  timeout: 3",
            f"  identity: ident-{name}",  # the simulators' /system/identity
        ]
    (root / "state" / "routers.yaml").write_text("\n".join(lines) + "\n")
    return root


def isk_run(repo: Path, *args: str) -> int:
    return run_cli(isk, ["--repo", str(repo), "--no-color", *args])


@pytest.fixture(autouse=True)
def api_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, API_PASSWORD)


def test_check_reports_each_router_and_fails_when_one_is_down(
    tmp_path: Path, sims: dict[str, SimulatedRouter], capsys: pytest.CaptureFixture[str]
) -> None:
    down = free_port()
    repo = write_repo(
        tmp_path, {"alpha": sims["alpha"].port, "gamma": down, "beta": sims["beta"].port}
    )
    code = isk_run(repo, "router", "check")
    out, err = capsys.readouterr()
    assert code == 1
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["alpha", "gamma", "beta"]
    assert "ok" in lines[0].split() and "ident-alpha" in lines[0] and "7.16.2" in lines[0]
    assert "FAILED" in lines[1] and f"127.0.0.1:{down}" in lines[1]
    assert "ident-beta" in lines[2]
    assert "error: 1 of 3 routers failed" in err
    assert API_PASSWORD not in out + err


def test_check_one_router_succeeds(
    tmp_path: Path, sims: dict[str, SimulatedRouter], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_repo(tmp_path, {"alpha": sims["alpha"].port, "gamma": free_port()})
    code = isk_run(repo, "router", "check", "alpha")
    out, _ = capsys.readouterr()
    assert code == 0
    assert len(out.splitlines()) == 1
    assert "ident-alpha" in out


def test_check_with_a_wrong_password_fails(
    tmp_path: Path,
    sims: dict[str, SimulatedRouter],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "not-the-password")
    repo = write_repo(tmp_path, {"alpha": sims["alpha"].port})
    code = isk_run(repo, "router", "check")
    out, err = capsys.readouterr()
    assert code == 1
    assert "FAILED" in out and "invalid user name or password" in out
    assert "not-the-password" not in out + err


def test_check_unknown_router_is_an_error(
    tmp_path: Path, sims: dict[str, SimulatedRouter], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_repo(tmp_path, {"alpha": sims["alpha"].port})
    code = isk_run(repo, "router", "check", "nosuch")
    _, err = capsys.readouterr()
    assert code == 1
    assert "unknown router nosuch (routers: alpha)" in err


def test_reboot_needs_yes(
    tmp_path: Path, sims: dict[str, SimulatedRouter], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_repo(tmp_path, {"alpha": sims["alpha"].port})
    code = isk_run(repo, "router", "reboot", "alpha")
    _, err = capsys.readouterr()
    assert code == 1
    assert "refusing to reboot alpha without --yes" in err
    assert sims["alpha"].counters["/system/reboot"] == 0


def test_reboot_with_yes(
    tmp_path: Path, sims: dict[str, SimulatedRouter], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_repo(tmp_path, {"alpha": sims["alpha"].port})
    code = isk_run(repo, "router", "reboot", "alpha", "--yes")
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.strip() == "alpha: reboot requested"
    assert sims["alpha"].counters["/system/reboot"] == 1
