"""The generated pipelines are valid (official schemas, vendored by check-jsonschema,
used offline) and give a pull request's job no more than it needs (issue 9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.gitops.ci_templates import GITIGNORE, ensure_gitignore, render
from isk_reconcile.state.loader import load_state

CHECK = Path(sys.executable).parent / "check-jsonschema"
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}


def router(name: str, **extra: Any) -> dict[str, Any]:
    variable = "ISK_ROUTER_" + "".join(c if c.isalnum() else "_" for c in name.upper())
    return {"host": "10.0.0.1", "tls": True, "password_env": variable + "_PASSWORD", **extra}


ONE = {"core": router("core")}
MANY = {f"rw{index:02d}": router(f"rw{index:02d}") for index in range(30)}
# Names the pattern allows that look like YAML or shell syntax when pasted raw.
ODD = {
    "0": router("0"),
    "yes": router("yes"),
    "a.b_c-D": router("a.b_c-D"),
    "null": router("null"),
    "1e3": router("1e3"),
    "ro": router("ro", read_username="isk-read", read_password_env="ISK_ROUTER_RO_READ_PASSWORD"),
}


def write_repo(root: Path, routers: dict[str, Any]) -> Path:
    (root / "state").mkdir(parents=True)
    (root / "state/routers.yaml").write_text(yaml.safe_dump(routers, sort_keys=False))
    return root


@pytest.mark.parametrize("routers", [ONE, MANY, ODD], ids=["one", "many", "odd"])
@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_generated_pipeline_passes_the_official_schema(
    kind: str, routers: dict[str, Any], tmp_path: Path
) -> None:
    state = load_state(write_repo(tmp_path / "isp", routers), cache=False)
    _, text = render(kind, state)
    document = yaml.safe_load(text)  # YAML first: a plain scalar with ': ' is a mapping
    assert isinstance(document, dict)
    target = tmp_path / ("isk.yml" if kind == "github" else ".gitlab-ci.yml")
    target.write_text(text)
    checked = subprocess.run(
        [str(CHECK), "--builtin-schema", SCHEMAS[kind], str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every script line is a string: none was read as a mapping.
    for job in document.values():
        if isinstance(job, dict):
            for key in ("script", "before_script"):
                assert all(isinstance(line, str) for line in job.get(key, []))


def test_the_gitlab_schema_check_catches_a_script_line_read_as_a_mapping(tmp_path: Path) -> None:
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text('job:\n  script:\n    - echo "warning: x"; for n in a; do echo $n: x; done\n')
    checked = subprocess.run(
        [str(CHECK), "--builtin-schema", SCHEMAS["gitlab"], str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode != 0


def _steps_env(steps: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {
        step.get("name") or step.get("uses") or step["run"]: set(step.get("env", {}))
        for step in steps
    }


def test_plan_job_holds_only_read_passwords_and_install_no_secret(tmp_path: Path) -> None:
    state = load_state(write_repo(tmp_path / "isp", ODD), cache=False)
    workflow = yaml.safe_load(render("github", state)[1])
    plan_env: set[str] = set()
    for name, env in _steps_env(workflow["jobs"]["plan"]["steps"]).items():
        if "Install" in name:
            assert env == {"ISK_PACKAGE"}
        plan_env |= env
    apply_env = set().union(*_steps_env(workflow["jobs"]["apply"]["steps"]).values())
    assert "ISK_ROUTER_RO_READ_PASSWORD" in plan_env
    assert "ISK_ROUTER_RO_PASSWORD" not in plan_env  # the write password of `ro`
    assert "ISK_ROUTER_RO_PASSWORD" in apply_env
    assert "ISK_ROUTER_RO_READ_PASSWORD" not in apply_env
    assert "ISK_ROUTER_CORE_PASSWORD" not in plan_env | apply_env


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_install_is_from_the_pinned_source_only(kind: str, tmp_path: Path) -> None:
    state = load_state(write_repo(tmp_path / "isp", ONE), cache=False)
    text = render(kind, state)[1]
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs and all('"$ISK_PACKAGE"' in line for line in installs)
    assert "isk-reconcile}" not in text  # no ${ISK_PACKAGE:-isk-reconcile} fallback
    assert "self-hosted" in text or "runner inside it" in text
    assert "--base" in text.split("plan", 1)[1]


def test_ci_init_writes_a_gitignore_only_when_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_repo(tmp_path / "isp", ONE)
    assert run_cli(isk, ["--repo", str(repo), "ci", "init", "gitlab"]) == 0
    assert (repo / ".gitignore").read_text() == GITIGNORE
    assert ".isk-cache/" in GITIGNORE.splitlines()
    (repo / ".gitignore").write_text("mine\n")
    assert ensure_gitignore(repo) is None
    assert (repo / ".gitignore").read_text() == "mine\n"
    capsys.readouterr()
