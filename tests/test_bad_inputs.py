"""The bad-input corpus: every malformed repo is refused with a located, readable error.

Each directory under tests/bad_inputs/ (except _base) holds files that are copied over
a copy of the valid `_base` repo, and an expect.yaml naming the file, line, field and
part of the message that `isk validate` must report (and, for secrets, what it must not).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
BASE = CORPUS / "_base"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def run_validate(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISK_")}
    return subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), "validate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def build_case(name: str, tmp_path: Path) -> tuple[Path, dict]:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo, ignore=shutil.ignore_patterns(".isk-cache", "README.md"))
    case = CORPUS / name
    expect = yaml.safe_load((case / "expect.yaml").read_text())
    for path in case.rglob("*"):
        relative = path.relative_to(case)
        if path.is_file() and relative.as_posix() != "expect.yaml":
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, repo / relative)
    for relative in expect.get("remove", []):
        (repo / relative).unlink()
    return repo, expect


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


def test_base_repo_is_valid(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    result = run_validate(repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 2 routers, 2 profiles, 2 customers, 2 ledger entries")


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_reported(name: str, tmp_path: Path) -> None:
    repo, expect = build_case(name, tmp_path)
    result = run_validate(repo)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert result.stdout == ""
    where = f"{expect['file']}:{expect['line']}:"
    matching = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(where)
        and (f": {expect['field']}: " in line if expect["field"] else True)
        and expect["message_contains"] in line
    ]
    assert matching, (
        f"expected {where} {expect['field']}: ...{expect['message_contains']}...\n{output}"
    )
    if "absent" in expect:
        assert expect["absent"] not in output
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: ")


@pytest.fixture(scope="module")
def base_routers():
    """Simulated routers where `_base/state/routers.yaml` points (core on the default API
    port, edge on 18728), so a bad repo that reached a router would be seen there."""
    from isk_reconcile.sim import SimulatedRouter

    routers = {
        "core": SimulatedRouter(identity="core", users={"isk-api": "pw"}, port=8728),
        "edge": SimulatedRouter(identity="edge", users={"admin": "pw"}, port=18728),
    }
    for sim in routers.values():
        sim.start()
        sim.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"})
    yield routers
    for sim in routers.values():
        sim.stop()


@pytest.mark.parametrize("name", CASES)
def test_bad_input_writes_nothing_to_a_router(
    name: str,
    tmp_path: Path,
    base_routers: dict,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`isk apply --auto-approve` on a malformed repo stops at validation: the routers
    see no login, let alone a write."""
    import isk_reconcile.cli  # noqa: F401  (registers every command on the group)
    from isk_reconcile.cli.context import run_cli
    from isk_reconcile.cli.root import main as isk

    repo, expect = build_case(name, tmp_path)
    for variable in ("ISK_ROUTER_CORE_PASSWORD", "ISK_ROUTER_EDGE_PASSWORD"):
        monkeypatch.setenv(variable, "pw")
    for sim in base_routers.values():
        sim.reset_counters()
    code = run_cli(isk, ["--repo", str(repo), "apply", "--auto-approve"])
    stderr = capsys.readouterr().err
    assert code == 1
    assert f"{expect['file']}:{expect['line']}:" in stderr
    for sim in base_routers.values():
        assert not sim.counters and sim.writes == 0


def test_valid_base_does_reach_the_routers(
    tmp_path: Path,
    base_routers: dict,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The control for the test above: the same apply on the valid base logs in and
    writes, so silence on the bad inputs means they were stopped, not misdirected."""
    import isk_reconcile.cli  # noqa: F401
    from isk_reconcile.cli.context import run_cli
    from isk_reconcile.cli.root import main as isk

    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    for variable in ("ISK_ROUTER_CORE_PASSWORD", "ISK_ROUTER_EDGE_PASSWORD"):
        monkeypatch.setenv(variable, "pw")
    monkeypatch.setenv(
        "ISK_AGE_IDENTITY_FILE", str(CORPUS.parent.parent / "demo" / "age-identity.txt")
    )
    code = run_cli(
        isk, ["--repo", str(repo), "--as-of", "2026-11-29", "apply", "--auto-approve", "--force"]
    )
    output = capsys.readouterr()
    assert code == 0, output.err
    assert all(sim.counters["/login"] >= 1 for sim in base_routers.values())
    assert sum(sim.writes for sim in base_routers.values()) > 0
