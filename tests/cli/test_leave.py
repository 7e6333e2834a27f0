"""Leaving after a large load (collector.leave, issue 12): the `isk` process skips the
interpreter's teardown, and still exits with the command's code, its output whole and
flushed (also when it is much larger than a pipe holds), its exit functions run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.helpers.generated import generate_isp
from tests.helpers.process import isk

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough customers and entries for the collector to freeze the load (FREEZE_FROM)."""
    return generate_isp(tmp_path_factory.mktemp("large"), 2000, 1, 12, AS_OF)


def test_a_large_listing_is_written_whole_and_exits_0(large: Path, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):  # a cold load, then one from the state cache
        done = isk("--repo", str(large), "--as-of", AS_OF.isoformat(), "customers",
                   "--format", "json", env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)) == 2000  # all of it, flushed before leaving


def test_an_error_after_a_large_load_still_exits_1_with_its_line(large: Path) -> None:
    done = isk("--repo", str(large), "--as-of", AS_OF.isoformat(), "customer", "show", "nobody")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")


def test_exit_functions_run_before_leaving(large: Path, tmp_path: Path) -> None:
    """A program that registers an exit function and then runs `isk` in its process."""
    marker = tmp_path / "ran"
    program = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "from isk_reconcile.cli import main\n"
        f"main(['--repo', {str(large)!r}, '--as-of', '{AS_OF}', 'customers'])\n"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "2000 customers" in done.stdout
    assert marker.read_text() == "yes"
