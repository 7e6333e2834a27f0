"""The example ISP in a git repository, each router simulated on a free loopback port
(real librouteros sessions over TCP); `tests/conftest.py` offers it as the `live_isp` fixture."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git
import pytest

from isk_reconcile.cli import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.sim import SimulatedRouter

AS_OF = "2026-11-29"


VERSIONS = {"core-kudus": "7.18.2", "rw05-jati": "7.16.2", "rw09-bae": "6.49.10"}


SESSIONS = {"core-kudus": ["budi-santoso", "eko-saputro"], "rw05-jati": ["joko-susilo"]}


@dataclass
class LiveIsp:
    repo: Path
    sims: dict[str, SimulatedRouter]
    passwords: dict[str, str]
    commit: str


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> Run:
    capsys.readouterr()
    code = run_cli(isk, ["--repo", str(repo), "--as-of", AS_OF, "--no-color", *args])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def commit_all(repo: Path) -> str:
    handle = git.Repo.init(repo)
    handle.git.add("-A")
    actor = git.Actor("ISK Test", "test@example.invalid")
    return handle.index.commit("example ISP", author=actor, committer=actor).hexsha


def serve_example_isp(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveIsp]:
    """The example ISP in a git repo, each router simulated on a free port."""
    routers_file = example_repo / "state" / "routers.yaml"
    text = routers_file.read_text(encoding="utf-8")
    sims: dict[str, SimulatedRouter] = {}
    passwords: dict[str, str] = {}
    try:
        for name in VERSIONS:
            variable = "ISK_ROUTER_" + name.upper().replace("-", "_") + "_PASSWORD"
            passwords[variable] = f"api-pw-{name}-7Qx"
            monkeypatch.setenv(variable, passwords[variable])
            sim = SimulatedRouter(
                identity=name, users={"isk-api": passwords[variable]}, version=VERSIONS[name]
            ).start()
            sims[name] = sim
            for session in SESSIONS.get(name, []):
                sim.add_session(session)
            # rewrite this router's port: the block starting at "<name>:" holds its port line
            block = re.compile(rf"(^{re.escape(name)}:\n(?:[ \t].*\n)*?[ \t]+port:[ \t]*)\d+", re.M)
            text, count = block.subn(rf"\g<1>{sim.port}", text)
            assert count == 1, name
        routers_file.write_text(text, encoding="utf-8")
        yield LiveIsp(example_repo, sims, passwords, commit_all(example_repo))
    finally:
        for sim in sims.values():
            sim.stop()
