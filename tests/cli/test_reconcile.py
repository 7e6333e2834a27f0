"""`isk plan` and `isk apply` as a user runs them: the real `isk` executable against
simulated routers, checking output and exit codes (SPEC §6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from isk_reconcile.cli.context import today_in
from tests.helpers.isp import SECRET, Fleet, by_name, customer, write_repo
from tests.helpers.process import for_the_fixed_day

ISK = Path(sys.executable).parent / "isk"
PASSWORD = "pppoe-pass-42"
AS_OF = "2026-11-29"
TODAY = today_in("Asia/Jakarta")


@pytest.fixture
def fleet2() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1", "r2"))


def isk(repo: Path, fleet: Fleet, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    args = for_the_fixed_day(args)
    environ = {**os.environ, **fleet.environ, "NO_COLOR": "1"}
    environ.pop("ISK_REPO", None)
    result = subprocess.run(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
        **kw,
    )
    assert PASSWORD not in result.stdout + result.stderr  # never, in any output
    return result


def small_repo(tmp_path: Path, fleet: Fleet, **kw: Any) -> Path:
    customers = kw.pop("customers", None) or {
        "a": customer("A", password=PASSWORD),
        "b": customer("B", router="r2", password=PASSWORD),
    }
    return write_repo(tmp_path / "isp", customers, routers=fleet.routers, **kw)


def test_plan_detailed_exitcode_apply_then_empty(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    planned = isk(repo, fleet2, "plan", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert "r1: 4 create, 0 update" in planned.stdout
    assert "+ create secret a" in planned.stdout
    applied = isk(repo, fleet2, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "r1: 4 write(s) applied, verified" in applied.stdout
    assert by_name(fleet2["r1"], SECRET)["a"]["password"] == PASSWORD
    again = isk(repo, fleet2, "plan", "--detailed-exitcode")
    assert again.returncode == 0
    assert "No changes: the routers match the repository." in again.stdout


def test_apply_without_terminal_or_auto_approve_refuses(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    refused = isk(repo, fleet2, "apply")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "error: refusing to apply without confirmation: no terminal (use --auto-approve)"
    )
    assert fleet2["r1"].writes == 0 and fleet2["r2"].writes == 0


def test_json_and_markdown_formats(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    as_json = isk(repo, fleet2, "plan", "--format", "json")
    document = json.loads(as_json.stdout)
    assert document["format"] == "isk-plan/1" and document["as_of"] == AS_OF
    assert [r["router"] for r in document["routers"]] == ["r1", "r2"]
    assert document["routers"][0]["summary"]["create"] == 4
    markdown = isk(repo, fleet2, "plan", "--format", "markdown")
    assert markdown.stdout.startswith("<!-- isk-plan -->")


def test_router_option_limits_the_plan(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    document = json.loads(isk(repo, fleet2, "plan", "--router", "r2", "--format", "json").stdout)
    assert [r["router"] for r in document["routers"]] == ["r2"]
    unknown = isk(repo, fleet2, "plan", "--router", "nope")
    assert unknown.returncode == 1 and "unknown router nope" in unknown.stderr


def test_saved_plan_applies_and_stale_router_is_refused(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    plan_file = tmp_path / "plan.json"
    saved = isk(repo, fleet2, "plan", "--out", str(plan_file))
    assert saved.returncode == 0 and plan_file.is_file()
    fleet2["r2"].add(SECRET, {"name": "walkin", "password": "x"})
    applied = isk(repo, fleet2, "apply", str(plan_file), "--auto-approve")
    assert applied.returncode == 1
    assert "stale plan: router r2 changed since the plan was made; plan again" in applied.stderr
    assert "r1: 4 write(s) applied, verified" in applied.stdout
    assert "a" in by_name(fleet2["r1"], SECRET) and "b" not in by_name(fleet2["r2"], SECRET)


def test_unreachable_router_exits_1_and_others_still_apply(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    fleet2["r2"].stop()
    planned = isk(repo, fleet2, "plan", "--detailed-exitcode")
    assert planned.returncode == 1  # an error wins over "there are changes"
    assert "error: r2: cannot connect to 127.0.0.1" in planned.stderr
    applied = isk(repo, fleet2, "apply", "--auto-approve")
    assert applied.returncode == 1
    assert "a" in by_name(fleet2["r1"], SECRET)


def test_unsafe_router_refused_without_force(tmp_path: Path, fleet2: Fleet) -> None:
    customers = {f"c{i}": customer(f"C{i}", password=PASSWORD) for i in range(3)}
    repo = small_repo(tmp_path, fleet2, customers=customers)
    assert isk(repo, fleet2, "apply", "--auto-approve").returncode == 0
    for path in (repo / "state" / "customers").glob("*.yaml"):
        path.unlink()  # every customer gone: the router would lose every managed secret
    planned = isk(repo, fleet2, "plan")
    assert "UNSAFE: would delete every managed secret (3)" in planned.stdout
    # Free customers: the same plan on any day, so today's apply needs no --force for it.
    refused = isk(repo, fleet2, "apply", "--auto-approve", "--as-of", TODAY.isoformat())
    assert refused.returncode == 1
    assert "unsafe plan refused (would delete every managed secret (3))" in refused.stderr
    assert len(by_name(fleet2["r1"], SECRET)) == 3
    forced = isk(repo, fleet2, "apply", "--auto-approve", "--force")
    assert forced.returncode == 0, forced.stderr
    assert by_name(fleet2["r1"], SECRET) == {}


def answer_prompt(repo: Path, fleet: Fleet, reply: bytes) -> subprocess.CompletedProcess[str]:
    """`isk apply` with a terminal on stdin (a pty) that answers the confirmation."""
    import pty

    controller, terminal = pty.openpty()
    environ = {**os.environ, **fleet.environ, "NO_COLOR": "1"}
    try:
        os.write(controller, reply)
        result = subprocess.run(
            [str(ISK), "--repo", str(repo), "--as-of", AS_OF, "apply", "--force"],
            capture_output=True,
            stdin=terminal,
            env=environ,
            text=True,
            timeout=120,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    return result


def test_confirmation_on_a_terminal(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    declined = answer_prompt(repo, fleet2, b"n\n")
    assert "Apply these changes? [y/N]" in declined.stdout
    assert declined.returncode == 1 and "error: apply cancelled" in declined.stderr
    assert fleet2["r1"].writes == 0
    accepted = answer_prompt(repo, fleet2, b"y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "r1: 4 write(s) applied, verified" in accepted.stdout


def with_terminal_stderr(repo: Path, fleet: Fleet, *args: str) -> tuple[int, str, str]:
    """Run isk with stderr on a terminal (a pty) and stdout on a pipe: (code, out, err)."""
    import pty
    import select

    controller, terminal = pty.openpty()
    environ = {**os.environ, **fleet.environ, "TERM": "xterm", "NO_COLOR": "1"}
    environ.pop("ISK_REPO", None)
    process = subprocess.Popen(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *for_the_fixed_day(args)],
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
        env=environ,
    )
    os.close(terminal)
    chunks: list[bytes] = []
    try:
        while True:  # drain the terminal so the child never blocks on a full pty
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    data = os.read(controller, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        out = process.stdout.read().decode() if process.stdout else ""
        code = process.wait(timeout=120)
    finally:
        os.close(controller)
    err = b"".join(chunks).decode(errors="replace")
    assert PASSWORD not in out + err
    return code, out, err


def test_progress_on_a_terminal_spinner_for_reads_and_bars_for_writes(
    tmp_path: Path, fleet2: Fleet
) -> None:
    repo = small_repo(tmp_path, fleet2)
    code, out, err = with_terminal_stderr(repo, fleet2, "plan", "--format", "json")
    assert code == 0
    assert json.loads(out)["format"] == "isk-plan/1"  # stdout stays clean JSON
    assert "reading 2 router(s) ..." in err  # the spinner's status line
    assert "read r1: ok" in err and "read r2: ok" in err
    code, out, err = with_terminal_stderr(repo, fleet2, "apply", "--auto-approve")
    assert code == 0, err
    assert "r1: 4 write(s) applied, verified" in out
    assert "━" in err and "4/4" in err  # a rich progress bar per router
    assert "r1: 4/4 writes" not in err  # the plain lines are for non-terminals


def test_progress_without_a_terminal_is_plain_lines(tmp_path: Path, fleet2: Fleet) -> None:
    repo = small_repo(tmp_path, fleet2)
    applied = isk(repo, fleet2, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "read r1: ok" in applied.stderr and "read r2: ok" in applied.stderr
    # A short apply reports once per router, when it is done.
    assert applied.stderr.count("r1: ") == 2  # "read r1: ok" and "r1: 4/4 writes"
    assert "r1: 4/4 writes" in applied.stderr
    assert "\x1b[" not in applied.stderr
