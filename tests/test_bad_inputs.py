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
