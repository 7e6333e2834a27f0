"""What plan, apply and status show about routers (SPEC §6): the plan JSON document, exit
codes, plain progress lines off a terminal, a spinner on one, colour only on a terminal
and never with --no-color, the markdown comment.

Outside tools and scripts read these; changing one must fail here first.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import isk_reconcile.cli  # noqa: F401  (registers every command on the group)
from isk_reconcile.routeros.types import SECRET
from tests.helpers.isp import Fleet, customer, write_repo
from tests.helpers.process import ISK, for_the_fixed_day, isk

AS_OF = "2026-11-29"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield Fleet(stack, ("r1", "r2"))


def isp(tmp_path: Path, fleet: Fleet, customers: dict[str, Any], *, down: bool = False) -> Path:
    routers = dict(fleet.routers)
    if down:
        routers["r3"] = {**fleet.routers["r2"], "port": closed_port(), "timeout": 2}
    return write_repo(tmp_path / "isp", customers, routers=routers)


def run(repo: Path, fleet: Fleet, *args: str) -> subprocess.CompletedProcess[str]:
    return isk("--repo", str(repo), "--as-of", AS_OF, *for_the_fixed_day(args), env=fleet.environ)


def git_commit(repo: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@t.test", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "state")
    return git("rev-parse", "HEAD")


def test_plan_json_is_the_documented_isk_plan_1_shape(tmp_path: Path, fleet: Fleet) -> None:
    # Andi keeps r1 from losing half its accounts (the any-size safety floor).
    andi, siti = customer("Andi"), customer("Siti", router="r2")
    repo = isp(tmp_path, fleet, {"andi": andi, "budi": customer("Budi"), "siti": siti})
    assert run(repo, fleet, "apply", "--auto-approve").returncode == 0
    # Budi stops being free and never paid: disabled, and his live session dropped.
    write_repo(
        repo,
        {"andi": andi, "budi": customer("Budi", status="active"), "siti": siti},
        routers={
            **fleet.routers,
            "r3": {**fleet.routers["r2"], "port": closed_port(), "timeout": 2},
        },
    )
    fleet["r1"].add_session("budi", address="10.20.0.9")
    commit = git_commit(repo)

    result = run(repo, fleet, "plan", "--format", "json", "--detailed-exitcode")
    assert result.returncode == 1  # an unreachable router wins over "there are changes"
    document = json.loads(result.stdout)
    assert {"format", "as_of", "commit", "routers"} <= set(document)
    assert document["format"] == "isk-plan/1"
    assert document["as_of"] == AS_OF and document["commit"] == commit
    routers = {router["router"]: router for router in document["routers"]}
    assert list(routers) == ["r1", "r2", "r3"]
    keys = {"router", "status", "error", "fingerprint", "summary", "changes"}
    summary_keys = ["create", "update", "delete", "enable", "disable", "disconnect"]
    summary_keys += ["conflict", "unmanaged"]
    for router in routers.values():
        assert keys <= set(router)
        assert router["status"] in ("ok", "unsafe", "error")
        assert set(router["summary"]) == set(summary_keys)
        assert all(type(count) is int for count in router["summary"].values())
    for name in ("r1", "r2"):
        assert routers[name]["status"] == "ok" and routers[name]["error"] is None
        assert re.fullmatch(r"[0-9a-f]{64}", routers[name]["fingerprint"])
    assert routers["r3"]["status"] == "error"
    assert "r3: cannot connect to 127.0.0.1" in routers["r3"]["error"]
    assert routers["r2"]["changes"] == []

    r1 = routers["r1"]
    assert r1["summary"]["disable"] == 1 and r1["summary"]["disconnect"] == 1
    by_action = {change["action"]: change for change in r1["changes"]}
    disable = by_action["disable"]
    assert {"action", "kind", "name", "customer", "reason", "fields"} <= set(disable)
    assert (disable["kind"], disable["name"], disable["customer"]) == ("secret", "budi", "budi")
    assert disable["reason"].startswith("unpaid invoice budi/")
    assert disable["fields"] == {"disabled": {"from": False, "to": True}}
    disconnect = by_action["disconnect"]
    assert (disconnect["name"], disconnect["customer"]) == ("budi", "budi")
    assert disconnect["reason"]

    # The same document is what --out saves (plus what apply needs to re-check).
    saved = tmp_path / "plan.json"
    assert run(repo, fleet, "plan", "--out", str(saved), "--router", "r1").returncode == 0
    stored = json.loads(saved.read_text(encoding="utf-8"))
    assert stored["format"] == "isk-plan/1" and stored["commit"] == commit
    assert [router["router"] for router in stored["routers"]] == ["r1"]
    assert stored["routers"][0]["fingerprint"] == r1["fingerprint"]


def test_exit_codes_of_plan_and_apply(tmp_path: Path, fleet: Fleet) -> None:
    repo = isp(tmp_path, fleet, {"budi": customer("Budi"), "siti": customer("Siti", router="r2")})
    assert run(repo, fleet, "plan").returncode == 0  # changes, without --detailed-exitcode
    assert run(repo, fleet, "plan", "--detailed-exitcode").returncode == 2
    # No terminal and no --auto-approve: refuse, write nothing.
    refused = run(repo, fleet, "apply")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        "error: refusing to apply without confirmation: no terminal (use --auto-approve)"
    )
    assert fleet["r1"].writes == fleet["r2"].writes == 0
    assert run(repo, fleet, "apply", "--auto-approve").returncode == 0
    assert run(repo, fleet, "plan", "--detailed-exitcode").returncode == 0
    assert run(repo, fleet, "apply").returncode == 0  # nothing to confirm
    unwritable = run(repo, fleet, "plan", "--out", str(tmp_path / "missing" / "plan.json"))
    assert unwritable.returncode == 1
    assert unwritable.stderr.splitlines()[-1].startswith("error: cannot write the plan to ")

    # An unreachable router: exit 1 from plan (even with --detailed-exitcode) and apply;
    # the reachable routers are still applied.
    write_repo(
        repo,
        {"budi": customer("Budi", profile="home-20m"), "siti": customer("Siti", router="r2")},
        routers={
            **fleet.routers,
            "r3": {**fleet.routers["r2"], "port": closed_port(), "timeout": 2},
        },
    )
    planned = run(repo, fleet, "plan", "--detailed-exitcode")
    assert planned.returncode == 1
    assert "error: r3: cannot connect to 127.0.0.1" in planned.stderr
    assert run(repo, fleet, "apply").returncode == 1  # still refused without a terminal
    applied = run(repo, fleet, "apply", "--auto-approve")
    assert applied.returncode == 1
    secrets = {item["name"]: item for item in fleet["r1"].items(SECRET)}
    assert secrets["budi"]["profile"] == "home-20m"


def test_reading_routers_shows_plain_progress_lines_off_a_terminal(
    tmp_path: Path, fleet: Fleet
) -> None:
    repo = isp(tmp_path, fleet, {"budi": customer("Budi"), "siti": customer("Siti", router="r2")})
    for args in (
        ["plan", "--format", "json"],
        ["status", "--format", "json"],
        ["apply", "--auto-approve"],
        ["export", "--xlsx", str(tmp_path / "isp.xlsx")],
        ["report", "--html", str(tmp_path / "site")],
    ):
        result = run(repo, fleet, *args)
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert "read r1: ok" in lines and "read r2: ok" in lines, args
        assert "\x1b" not in result.stderr + result.stdout  # no colour, no cursor movement
        if "json" in args:
            json.loads(result.stdout)  # progress never mixes into stdout
    checked = run(repo, fleet, "router", "check")
    assert checked.returncode == 0 and "\x1b" not in checked.stdout + checked.stderr
    assert [line.split()[:2] for line in checked.stdout.splitlines()] == [
        ["r1", "ok"],
        ["r2", "ok"],
    ]
    fleet["r1"].add(SECRET, {"name": "old", "password": "x-123456", "profile": "default"})
    fleet["r1"].add(SECRET, {"name": "older", "password": "x-654321", "profile": "home-10m"})
    imported = run(repo, fleet, "import", "--router", "r1")
    assert imported.returncode == 0, imported.stderr
    assert "read r1: ok" in imported.stderr.splitlines()


def test_emoji_codes_in_a_customers_name_are_shown_as_written(tmp_path: Path, fleet: Fleet) -> None:
    repo = isp(tmp_path, fleet, {"budi": customer("Budi :smile: :x:")})
    result = run(repo, fleet, "plan")
    assert result.returncode == 0, result.stderr
    assert "Budi :smile: :x:" in result.stdout
    assert "\U0001f604" not in result.stdout and "\u274c" not in result.stdout


def test_markdown_starts_with_the_marker_and_stays_under_60000_characters(
    tmp_path: Path, fleet: Fleet
) -> None:
    many = {f"customer-{n:04d}": customer(f"Pelanggan Nomor {n:04d}") for n in range(700)}
    repo = isp(tmp_path, fleet, many)
    result = run(repo, fleet, "plan", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("<!-- isk-plan -->\n")
    assert len(text) < 60_000
    shown = sum(1 for line in text.splitlines() if line.startswith("- **"))
    note = re.search(r"(\d+) more change\(s\) not shown", text)
    assert note is not None and 0 < shown < 700
    # Nothing silently lost: shown + left out = every change (700 secrets, 2 x 3 profiles).
    full = json.loads(run(repo, fleet, "plan", "--format", "json").stdout)
    total = sum(len(router["changes"]) for router in full["routers"])
    assert total == 706 and shown + int(note.group(1)) == total


def test_day_after_the_grace_period_the_plan_changes(tmp_path: Path, fleet: Fleet) -> None:
    """--as-of is what billing uses: the same repo plans differently on two dates."""
    payments = [
        {"id": "P-1", "customer": "budi", "amount": 150000, "date": "2026-11-20",
         "kind": "payment", "method": "cash"},
    ]  # fmt: skip
    repo = write_repo(
        tmp_path / "isp",
        {"budi": customer("Budi", status="active", start="2026-11-20")},
        routers=fleet.routers,
        payments=payments,
    )
    assert run(repo, fleet, "apply", "--auto-approve").returncode == 0
    grace_over = (datetime(2026, 12, 20) + timedelta(days=4)).date().isoformat()
    later = isk(
        "--repo", str(repo), "--as-of", grace_over, "plan", "--detailed-exitcode",
        env=fleet.environ,
    )  # fmt: skip
    assert later.returncode == 2
    assert "disable secret budi" in later.stdout
    assert run(repo, fleet, "plan", "--detailed-exitcode").returncode == 0


def with_terminal_stderr(repo: Path, fleet: Fleet, *args: str) -> tuple[int, str, str]:
    """Run isk with stderr on a pseudo-terminal (stdout piped, as in `isk ... > file`)."""
    master, slave = os.openpty()
    environ = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR",)}
    environ.update({**fleet.environ, "TERM": "xterm-256color", "COLUMNS": "120"})
    process = subprocess.Popen(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=environ,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal's other end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=60), out, b"".join(chunks).decode(errors="replace")


def test_status_shows_progress_on_a_terminal(tmp_path: Path, fleet: Fleet) -> None:
    repo = isp(tmp_path, fleet, {"budi": customer("Budi"), "siti": customer("Siti", router="r2")})
    code, out, err = with_terminal_stderr(repo, fleet, "status", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["format"] == "isk-status/1"  # stdout stays clean
    assert "reading 2 router(s) ..." in err  # the spinner
    assert "read r1: ok" in err and "read r2: ok" in err


def on_a_terminal(repo: Path, fleet: Fleet, *args: str) -> tuple[int, str]:
    """Run isk with stdout and stderr on one pseudo-terminal; returns what it showed."""
    master, slave = os.openpty()
    environ = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environ.update({**fleet.environ, "TERM": "xterm-256color", "COLUMNS": "120"})
    process = subprocess.Popen(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args],
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=environ,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour, bold, dim


@pytest.mark.parametrize("command", [["plan"], ["status"], ["customers"], ["router", "check"]])
def test_no_color_means_plain_text_on_a_terminal(
    tmp_path: Path, fleet: Fleet, command: list[str]
) -> None:
    repo = isp(tmp_path, fleet, {"budi": customer("Budi"), "siti": customer("Siti", router="r2")})
    code, shown = on_a_terminal(repo, fleet, *command)
    assert code == 0, shown
    assert SGR.search(shown)  # a terminal gets colour by default ...
    code, plain = on_a_terminal(repo, fleet, "--no-color", *command)
    assert code == 0, plain
    assert not SGR.search(plain)  # ... and none at all with --no-color
    assert "r1" in plain
