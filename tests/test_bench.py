"""Smoke test of the benchmark runner: a tiny run prints the documented JSON figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


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

    client = report["client"]
    assert client["load"]["failed"] == 0
    assert client["read"]["secrets_read"] == 120
    assert client["read"]["prints"] == 5  # profiles, secrets, sessions, pools, identity
    assert client["read"]["round_trips"] == 1
    for label in ("execute_0ms", "execute_20ms"):
        assert client[label]["writes"] == 20
        assert client[label]["failed"] == 0
        assert client[label]["round_trips"] < client[label]["writes"]

    pipeline = report["pipeline"]
    assert set(pipeline["validate"]) == {"cold_s", "warm_s", "load_state_warm_s", "ok"}
    assert pipeline["validate"]["ok"] is True
    assert pipeline["data"]["customers"] == 120
    assert pipeline["initial"]["ok"] is True
    assert pipeline["plan_no_changes"]["changes"] == 0
    assert pipeline["plan_no_changes"]["prints"] == 5 * 2  # 4 menus + identity, per router
    for label in ("changes_0ms", "changes_20ms"):
        assert pipeline[label]["changes"] == 20
        assert pipeline[label]["ok"] is True
        assert pipeline[label]["applied"] == 20
    # The commands as fresh processes: routers converged, so plan finds nothing and
    # every command succeeds and writes its file.
    commands = pipeline["commands"]
    assert set(commands) == {"plan_no_changes", "status", "export_xlsx", "report_html"}
    assert all(figures["exit"] == 0 for figures in commands.values()), commands
    assert commands["export_xlsx"]["mb"] > 0 and commands["report_html"]["mb"] > 0
    assert report["memory"]["peak_rss_mb"] > 0
