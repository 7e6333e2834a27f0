"""The command line of SPEC §6, pinned: names and flags exactly as the spec spells them,
repo discovery (§2), global options, exit codes 0/1/2 and one-line errors (what plan,
apply and status show about routers is pinned in test_output.py).

Outside tools and scripts call these; renaming a flag or changing an exit code must
fail here first.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest

import isk_reconcile.cli  # noqa: F401  (registers every command on the group)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk_group
from tests.helpers.isp import customer, write_repo
from tests.helpers.process import ISK, isk

AS_OF = "2026-11-29"

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
        found = command.get_command(click.Context(command), name)
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
    from isk_reconcile.routeros.protocol import split_word

    with pytest.raises(AttributeError) as ours:
        split_word(None)  # type: ignore[arg-type]
    assert re.fullmatch(r"isk_reconcile/routeros/protocol\.py:\d+", bug_location(ours.value))
    with pytest.raises(ValueError) as theirs:
        json.loads("{")
    assert re.fullmatch(r"decoder\.py:\d+", bug_location(theirs.value))
