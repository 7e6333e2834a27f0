"""A command imports only what it needs (issue 12): `isk customer show` must not pay for
the workbook writer, jinja2, deepdiff, git, rich's progress bars or the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "isk_reconcile.render.xlsx",
    "isk_reconcile.render.spreadsheetml",
    "jinja2",
    "deepdiff",
    "git",
    "rich.progress",
    "isk_reconcile.sim",
    "librouteros",
)

PROBE = """
import json, sys
from isk_reconcile.cli import _group
from isk_reconcile.cli.context import run_cli
code = run_cli(_group, sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(repo: Path, *argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--repo", str(repo), "--as-of", "2026-11-29", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


@pytest.mark.parametrize(
    "argv", [("customer", "show", "budi-santoso"), ("customers",), ("validate",)]
)
def test_reading_commands_do_not_import_the_heavy_modules(
    example_repo: Path, argv: tuple[str, ...]
) -> None:
    code, modules = modules_after(example_repo, *argv)
    assert code == 0
    heavy = [name for name in modules if any(_within(name, top) for top in HEAVY)]
    assert heavy == []


def test_the_dashboard_without_routers_does_not_import_the_router_client(
    example_repo: Path,
) -> None:
    code, modules = modules_after(example_repo, "status", "--no-routers")
    assert code == 0 and "isk_reconcile.billing.report" in modules
    # git (and deepdiff with it) stays: the dashboard names the commit it was made from.
    unneeded = [top for top in HEAVY if top not in ("git", "deepdiff")]
    unneeded += ["isk_reconcile.routeros", "isk_reconcile.reconcile.status"]
    assert [name for name in modules if any(_within(name, top) for top in unneeded)] == []


def test_every_command_is_still_listed_and_runs(example_repo: Path, tmp_path: Path) -> None:
    code, modules = modules_after(example_repo, "--help")
    assert code == 0 and "isk_reconcile.cli.workflow" in modules  # help lists them all
    # (exit 1: the example's routers are not reachable here; the workbook is written)
    modules_after(example_repo, "export", "--xlsx", str(tmp_path / "x.xlsx"))
    assert (tmp_path / "x.xlsx").stat().st_size > 0


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_a_plan_does_not_import_the_store_the_notifier_or_the_history_diff(
    example_repo: Path,
) -> None:
    """`isk plan` reads routers, but not PostgreSQL, apprise, deepdiff or the workbook
    writer (issue 12: start-up time); nor GitPython outside a git work tree, where there
    is no commit to stamp the plan with."""
    code, modules = modules_after(example_repo, "plan")
    assert code == 1  # the example's routers are not reachable from here
    unwanted = ("psycopg", "apprise", "deepdiff", "jinja2", "isk_reconcile.render.xlsx")
    assert [name for name in modules if any(_within(name, top) for top in unwanted)] == []
    assert "isk_reconcile.reconcile.run" in modules and "git" not in modules
