"""The command line of SPEC §6, pinned: names and flags exactly as the spec spells them,
repo discovery (§2), global options, exit codes 0/1/2, one-line errors, plain progress
lines off a terminal, the plan JSON document and the markdown comment.

Outside tools and scripts call these; renaming a flag or changing an exit code must
fail here first.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest

import isk_reconcile.cli  # noqa: F401  (registers every command on the group)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk_group
from isk_reconcile.routeros.types import SECRET
from tests.test_apply import Fleet
from tests.test_desired import customer, write_repo

ISK = Path(sys.executable).parent / "isk"
AS_OF = "2026-11-29"


def for_the_fixed_day(args: tuple[str, ...]) -> tuple[str, ...]:
    """`isk apply` for AS_OF (not today) needs --force; a test that passes its own
    --as-of (today) checks the refusals itself."""
    command = [arg for arg in args if not arg.startswith("-")][:1]
    if command == ["apply"] and "--force" not in args and "--as-of" not in args:
        return (*args, "--force")
    return args


# --- names and flags ------------------------------------------------------------------------

# command path -> (positional arguments as (count, required), options as spelled in SPEC §6)
SPEC_COMMANDS: dict[tuple[str, ...], tuple[list[bool], list[str]]] = {
    ("validate",): ([], ["--base"]),
    ("plan",): ([], ["--router", "--format", "--out", "--detailed-exitcode", "--adopt"]),
    ("apply",): ([False], ["--router", "--auto-approve", "--force", "--adopt"]),
    ("status",): ([], ["--router"]),
    ("customers",): (
        [],
        ["--router", "--profile", "--status", "--expiring-within", "--search", "--format"],
    ),
    ("customer", "show"): ([True], []),
    ("customer", "add"): ([True], ["--name", "--router", "--profile", "--phone", "--start"]),
    ("customer", "password"): ([True], []),
    ("pay",): ([True, True], ["--date", "--method", "--reference", "--kind"]),
    ("invoices",): ([], ["--customer", "--unpaid", "--month", "--format"]),
    ("receivables",): ([], ["--format"]),
    ("history",): ([True], []),
    ("import",): ([], ["--router"]),
    ("export",): ([], ["--xlsx"]),
    ("report",): ([], ["--html"]),
    ("router", "check"): ([False], []),
    ("router", "reboot"): ([True], ["--yes"]),
    ("secrets", "keygen"): ([], []),
    ("secrets", "encrypt"): ([], []),
    ("sim", "serve"): ([], []),
    ("demo",): ([], []),
}
FLAGS = {"--detailed-exitcode", "--adopt", "--auto-approve", "--force", "--unpaid", "--yes"}
REPEATABLE = {("plan",): "--router", ("apply",): "--router"}
FORMATS = {
    ("plan",): {"text", "json", "markdown"},
    ("customers",): {"table", "csv", "json"},
}


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = isk_group
    for name in path:
        assert isinstance(command, click.Group), path
        found = command.commands.get(name)
        assert found is not None, f"isk {' '.join(path)}: no such command"
        command = found
    return command


def option(command: click.Command, spelled: str) -> click.Option:
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and spelled in param.opts:
            return param
    raise AssertionError(f"{command.name}: no option {spelled}")


@pytest.mark.parametrize("path", sorted(SPEC_COMMANDS), ids=" ".join)
def test_every_command_and_flag_is_spelled_as_in_the_spec(path: tuple[str, ...]) -> None:
    positional, options = SPEC_COMMANDS[path]
    command = command_at(path)
    arguments = [param for param in command.params if isinstance(param, click.Argument)]
    assert [argument.required for argument in arguments] == positional
    for spelled in options:
        found = option(command, spelled)
        assert found.is_flag == (spelled in FLAGS), spelled
    if path in REPEATABLE:
        assert option(command, REPEATABLE[path]).multiple
    if path in FORMATS:
        choice = option(command, "--format").type
        assert isinstance(choice, click.Choice) and set(choice.choices) == FORMATS[path]


@pytest.mark.parametrize("view", ["invoices", "receivables"])
def test_billing_views_have_the_customers_formats(view: str) -> None:
    choice = option(command_at((view,)), "--format").type
    assert isinstance(choice, click.Choice) and {"table", "csv", "json"} <= set(choice.choices)


def test_global_options() -> None:
    assert option(isk_group, "--repo")
    assert option(isk_group, "--as-of")
    assert option(isk_group, "--no-color").is_flag
    verbose = option(isk_group, "--verbose")
    assert verbose.is_flag and "-v" in verbose.opts


# --- running it ---------------------------------------------------------------------------------


def isk(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `isk` executable, without a terminal."""
    environ = {key: value for key, value in os.environ.items() if key != "ISK_REPO"}
    environ.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [str(ISK), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def in_process(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = run_cli(isk_group, list(args))
    out, err = capfd.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def test_python_dash_m_runs_the_same_command_line(example_repo: Path) -> None:
    args = ["--repo", str(example_repo), "--as-of", AS_OF, "validate"]
    module = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", *args], capture_output=True, text=True
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == isk(*args).stdout
    assert module.stdout.startswith("ok: 3 routers, 5 profiles, 35 customers")
    wrong = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "no-such-command"], capture_output=True, text=True
    )
    assert wrong.returncode == 1
    one_error_line(wrong.stderr)


def counted_customers(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stderr
    found = re.match(r"ok: \d+ routers, \d+ profiles, (\d+) customers", result.stdout)
    assert found, result.stdout
    return int(found.group(1))


def test_repo_option_then_isk_repo_then_the_nearest_ancestor(
    example_repo: Path, tmp_path: Path
) -> None:
    other = write_repo(tmp_path / "other", {"solo": customer("Solo")})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inside = example_repo / "state" / "customers"
    # The nearest ancestor of the working directory that has state/routers.yaml.
    assert counted_customers(isk("--as-of", AS_OF, "validate", cwd=inside)) == 35
    # $ISK_REPO wins over the working directory ...
    from_env = isk("--as-of", AS_OF, "validate", cwd=inside, env={"ISK_REPO": str(other)})
    assert counted_customers(from_env) == 1
    # ... and --repo over $ISK_REPO.
    both = isk(
        "--repo", str(example_repo), "--as-of", AS_OF, "validate",
        cwd=elsewhere, env={"ISK_REPO": str(other)},
    )  # fmt: skip
    assert counted_customers(both) == 35
    # Nothing found: one line, exit 1.
    nowhere = isk("--as-of", AS_OF, "validate", cwd=elsewhere)
    assert nowhere.returncode == 1 and nowhere.stdout == ""
    assert "no state repository found" in one_error_line(nowhere.stderr)


def test_global_options_may_also_follow_the_command(example_repo: Path, tmp_path: Path) -> None:
    after = isk("validate", "--repo", str(example_repo), "--as-of", "2026-11-20", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert "as of 2026-11-20" in after.stdout


def test_as_of_defaults_to_today_in_the_settings_time_zone(tmp_path: Path) -> None:
    # UTC+14: a different day from UTC for ten hours of every day.
    repo = write_repo(tmp_path / "isp", {}, settings={"timezone": "Pacific/Kiritimati"})
    before = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    result = isk("--repo", str(repo), "validate")
    after = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert result.returncode == 0, result.stderr
    shown = re.search(r"as of (\d{4}-\d{2}-\d{2})", result.stdout)
    assert shown and shown.group(1) in {before.isoformat(), after.isoformat()}


@pytest.mark.parametrize("value", ["2026-13-01", "29-11-2026", "2026-11-29T10:00", "tomorrow"])
def test_bad_as_of_is_one_line_and_exit_1(
    example_repo: Path, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    code, out, err = in_process(capfd, "--repo", str(example_repo), "--as-of", value, "customers")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "--as-of" in line and "YYYY-MM-DD" in line


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["customers", "--no-such-flag"],
        ["plan", "--format", "xml"],
        ["customers", "--status", "sleeping"],
        ["customer", "show"],  # missing ID
        ["pay", "budi-santoso", "many"],
        ["invoices", "--month", "2026-13"],
        ["router", "reboot"],
    ],
    ids=" ".join,
)
def test_usage_errors_exit_1_never_2_with_one_line(
    example_repo: Path, capfd: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """2 is reserved for "the plan has changes" (--detailed-exitcode)."""
    code, out, err = in_process(capfd, "--repo", str(example_repo), *args)
    assert code == 1 and out == ""
    assert "--help" in one_error_line(err)  # where to read how it is used


def test_usage_error_exit_code_of_the_executable(example_repo: Path) -> None:
    result = isk("--repo", str(example_repo), "plan", "--format", "xml")
    assert result.returncode == 1
    one_error_line(result.stderr)


def test_errors_are_one_line_and_tracebacks_only_with_verbose(example_repo: Path) -> None:
    quiet = isk("--repo", str(example_repo), "customer", "show", "nobody")
    assert quiet.returncode == 1 and quiet.stdout == ""
    assert one_error_line(quiet.stderr) == "error: no such customer: nobody"
    loud = isk("--repo", str(example_repo), "-v", "customer", "show", "nobody")
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr
    assert loud.stderr.splitlines()[-1] == "error: no such customer: nobody"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_on_stdout_is_one_line_not_an_internal_error(example_repo: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [str(ISK), "--repo", str(example_repo), "--as-of", AS_OF, "customers"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert result.returncode == 1
    assert one_error_line(result.stderr) == "error: No space left on device"


def test_an_unexpected_exception_is_reported_where_it_happened_in_our_code() -> None:
    """The one-line "internal error" names our own frame, not the library's, and never
    the exception's text (which could carry a secret)."""
    from isk_reconcile.cli.context import bug_location
    from isk_reconcile.routeros.client import split_word

    with pytest.raises(AttributeError) as ours:
        split_word(None)  # type: ignore[arg-type]
    assert re.fullmatch(r"isk_reconcile/routeros/client\.py:\d+", bug_location(ours.value))
    with pytest.raises(ValueError) as theirs:
        json.loads("{")
    assert re.fullmatch(r"decoder\.py:\d+", bug_location(theirs.value))


# --- routers: progress, exit codes, plan documents ------------------------------------------


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
