"""The benchmark runner: a tiny run prints the documented JSON figures, and a run in
which a step fails says so and exits 1."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def bench_module():
    spec = importlib.util.spec_from_file_location("bench_run", PROJECT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_bench_prints_the_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "bench" / "run.py"),
            "--quick",
            "--customers",
            "120",
            "--routers",
            "2",
            "--months",
            "3",
            "--changes",
            "20",
            "--latency-ms",
            "20",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["format"] == "isk-bench/1"
    assert report["notes"] == []
    assert report["failures"] == []

    client = report["client"]
    assert client["load"]["failed"] == 0
    assert client["read"]["secrets_read"] == 120
    assert client["read"]["prints"] == 5  # profiles, secrets, sessions, pools, identity
    # Round trips as the simulated router saw them: the reads go out as one window, 20
    # writes as one window, 120 secrets plus their profile in two batches.
    assert client["read"]["round_trips"] == 1
    assert client["load"]["round_trips"] == 2
    for label in ("execute_0ms", "execute_20ms"):
        assert client[label]["writes"] == 20
        assert client[label]["failed"] == 0
        assert client[label]["round_trips"] == 1

    pipeline = report["pipeline"]
    validate = pipeline["validate"]
    assert set(validate) == {
        "cold_s", "warm_s", "cold_runs_s", "warm_runs_s", "cold_rss_mb", "warm_rss_mb",
        "load_state_warm_s", "ok",
    }  # fmt: skip
    assert validate["ok"] is True
    for label in ("cold", "warm"):  # the fastest of REPEATS runs, as for the commands
        assert len(validate[f"{label}_runs_s"]) == bench_module().REPEATS
        assert validate[f"{label}_s"] == min(validate[f"{label}_runs_s"])
    assert pipeline["data"]["customers"] == 120
    assert pipeline["initial"]["ok"] is True
    assert pipeline["plan_no_changes"]["changes"] == 0
    assert pipeline["plan_no_changes"]["prints"] == 5 * 2  # 4 menus + identity, per router
    assert pipeline["plan_no_changes"]["round_trips"] == 2 * 2  # per router: login, read
    assert len(pipeline["changes_20ms"]["apply_runs_s"]) == bench_module().REPEATS
    assert pipeline["changes_20ms"]["apply_s"] == min(pipeline["changes_20ms"]["apply_runs_s"])
    for label in ("changes_0ms", "changes_20ms"):
        assert pipeline[label]["changes"] == 20
        assert pipeline[label]["ok"] is True
        assert pipeline[label]["applied"] == 20
        assert pipeline[label]["apply_round_trips"] < 20
    # The commands as fresh processes: routers converged, so plan finds nothing and
    # every command succeeds and writes its file.
    commands = pipeline["commands"]
    assert set(commands) == {
        "plan_no_changes", "status", "status_no_routers", "customers_suspended",
        "customer_show", "export_xlsx", "report_html", "pay",
    }  # fmt: skip
    assert all(figures["exit"] == 0 for figures in commands.values()), commands
    assert all(figures["rss_mb"] > 0 for figures in commands.values()), commands
    # Each command with a target is the fastest of REPEATS runs; the others ran once.
    repeats = bench_module().REPEATS
    assert repeats == 5
    for label, figures in commands.items():
        assert len(figures["runs_s"]) == (repeats if label in bench_module().TARGETS else 1), label
        assert figures["seconds"] == min(figures["runs_s"])
        assert figures["median_s"] == sorted(figures["runs_s"])[len(figures["runs_s"]) // 2]
    # F (the C parser walking every file) and each command's multiple of it.
    walk = pipeline["yaml_walk"]
    # walked before each round of `validate` (5) and of the other commands (5, then 5 of
    # `pay`), and at the end
    assert walk["F_s"] == min(walk["runs_s"]) and len(walk["runs_s"]) == 16
    ratios = pipeline["ratios"]
    assert set(ratios) == {"validate_cold", "validate_warm", *commands}
    assert ratios["customer_show"]["target"] == 0.5 and "met" in ratios["customer_show"]
    # The fleet: a no-change plan across many routers, router phase in round-trip times.
    fleet = report["fleet"]
    assert fleet["routers"] == 4 and fleet["read_failed"] == 0 and fleet["plan_changes"] == 0
    assert fleet["read_rtts"] > 0
    assert len(fleet["read_runs_s"]) == 5 and fleet["read_s"] == min(fleet["read_runs_s"])
    assert set(report["router_targets"]) == {"apply_vs_client", "fleet_read_rtts"}
    assert commands["plan_no_changes"]["prints"] == 5 * 2  # 4 menus + identity, per router
    assert commands["export_xlsx"]["mb"] > 0 and commands["report_html"]["mb"] > 0
    assert report["memory"]["peak_rss_mb"] > 0


def test_a_bench_whose_step_fails_exits_1_and_names_the_step(tmp_path: Path) -> None:
    broken = tmp_path / "isp"
    shutil.copytree(PROJECT / "state", broken / "state")
    shutil.copytree(PROJECT / "payments", broken / "payments")
    customer = broken / "state" / "customers" / "budi-santoso.yaml"
    customer.write_text(customer.read_text() + "colour: blue\n")
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "run.py"), "--repo", str(broken)]
        + ["--customers", "20", "--changes", "5", "--latency-ms", "0", "--no-commands"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert any(
        failure.startswith("pipeline failed: ValidationFailed") for failure in report["failures"]
    )


def test_a_commands_figure_is_its_fastest_run_and_keeps_a_failed_exit() -> None:
    fastest_run = bench_module().fastest_run
    runs = [
        {"seconds": 3.0, "rss_mb": 30, "exit": 0},
        {"seconds": 1.0, "rss_mb": 10, "exit": 0},
        {"seconds": 2.0, "rss_mb": 20, "exit": 0},
    ]
    # the fastest run's time, the largest run's memory
    assert fastest_run(runs) == {
        "seconds": 1.0, "rss_mb": 30, "exit": 0, "runs_s": [3.0, 1.0, 2.0], "median_s": 2.0
    }  # fmt: skip
    runs[0]["exit"] = 1  # the slow run failed: the figure says so
    assert fastest_run(runs)["exit"] == 1
    assert fastest_run(runs[1:2])["runs_s"] == [1.0]


def test_the_apply_figure_is_the_fastest_round_and_keeps_a_failed_one() -> None:
    fastest_apply = bench_module().fastest_apply
    rounds = [
        {"apply_s": 0.9, "ok": True, "applied": 10, "changes": 10, "errors": []},
        {"apply_s": 0.6, "ok": True, "applied": 10, "changes": 10, "errors": []},
    ]
    chosen = fastest_apply(rounds)
    assert chosen["apply_s"] == 0.6 and chosen["apply_runs_s"] == [0.9, 0.6] and chosen["ok"]
    rounds[0].update(ok=False, applied=7, errors=["r1: refused"])  # the slow round failed
    chosen = fastest_apply(rounds)
    assert chosen["apply_s"] == 0.6 and chosen["ok"] is False
    assert (chosen["applied"], chosen["changes"], chosen["errors"]) == (7, 10, ["r1: refused"])
    assert bench_module().failures({"notes": [], "pipeline": {"changes_50ms": chosen}})


def test_failures_name_every_step_that_did_not_do_what_it_measures() -> None:
    failures = bench_module().failures
    healthy = {
        "notes": [],
        "client": {"load": {"writes": 10, "failed": 0}},
        "pipeline": {
            "validate": {"ok": True},
            "initial": {"changes": 10, "applied": 10, "ok": True, "errors": []},
            "plan_no_changes": {"changes": 0},
            "commands": {"plan_no_changes": {"exit": 0}},
        },
    }
    assert failures(healthy) == []
    cases = {
        "client.load: 1 write(s) failed": ("client", "load", {"writes": 10, "failed": 1}),
        "pipeline.plan_no_changes: the plan has 3 change(s)": (
            "pipeline",
            "plan_no_changes",
            {"changes": 3},
        ),
        "pipeline.initial: 9 of 10 change(s) applied: []": (
            "pipeline",
            "initial",
            {"changes": 10, "applied": 9, "ok": True, "errors": []},
        ),
        "pipeline.initial: 0 of 10 change(s) applied: ['unsafe']": (
            "pipeline",
            "initial",
            {"changes": 10, "applied": 0, "ok": False, "errors": ["unsafe"]},
        ),
        "pipeline.commands.plan_no_changes: exit 2": (
            "pipeline",
            "commands",
            {"plan_no_changes": {"exit": 2}},
        ),
        "pipeline.validate: isk validate did not exit 0": ("pipeline", "validate", {"ok": False}),
    }
    for expected, (part, key, figures) in cases.items():
        report = json.loads(json.dumps(healthy))
        report[part][key] = figures
        assert failures(report) == [expected]
    assert failures({**healthy, "notes": ["pipeline failed: OSError: disk full"]}) == [
        "pipeline failed: OSError: disk full"
    ]
