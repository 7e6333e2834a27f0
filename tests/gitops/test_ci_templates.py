"""ci_templates: the pipeline files parse, do the promised jobs and name only real commands."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.gitops.ci_templates import MARKER, render
from isk_reconcile.state.loader import load_state

ROUTER_SECRETS = {
    "ISK_ROUTER_CORE_KUDUS_PASSWORD",
    "ISK_ROUTER_RW05_JATI_PASSWORD",
    "ISK_ROUTER_RW09_BAE_PASSWORD",
}


def _scripts(node: object) -> list[str]:
    """Every string in the document (run steps, script lines, ...)."""
    if isinstance(node, dict):
        return [text for value in node.values() for text in _scripts(value)]
    if isinstance(node, list):
        return [text for value in node for text in _scripts(value)]
    return [node] if isinstance(node, str) else []


def _isk_invocations(texts: list[str]) -> list[list[str]]:
    calls = []
    for text in texts:
        for line in text.splitlines():
            for match in re.finditer(r"(?:^|[;&|]\s*|\s)isk\s+([^;&|>]*)", line):
                calls.append(shlex.split(match[1].strip(), posix=True))
    return [call for call in calls if call]


def _check_command_exists(words: list[str]) -> None:
    """Resolve the words against the click tree; every option must exist on the command."""
    command: click.Command = isk
    remaining = list(words)
    while isinstance(command, click.Group) and remaining and not remaining[0].startswith("-"):
        name = remaining.pop(0)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"isk {' '.join(words)}: no command {name!r}"
        command = found
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in remaining:
        if word.startswith("--"):
            assert word.split("=")[0] in known, f"isk {' '.join(words)}: no option {word}"


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_pipeline_parses_and_names_only_real_commands(kind: str, example_repo: Path) -> None:
    relpath, text = render(kind, load_state(example_repo))
    document = yaml.safe_load(text)
    texts = _scripts(document)
    calls = _isk_invocations(texts)
    joined = [" ".join(call) for call in calls]
    assert any(call.startswith("validate --base") for call in joined), joined
    assert any(call.startswith("plan --base") and "--format markdown" in call for call in joined)
    assert "apply --auto-approve" in joined
    for call in calls:
        _check_command_exists(call)
    # Secrets are named, never valued.
    for name in ROUTER_SECRETS | {"ISK_AGE_IDENTITY"}:
        assert name in text
    assert "AGE-SECRET-KEY" not in text


def test_github_workflow_shape(example_repo: Path) -> None:
    relpath, text = render("github", load_state(example_repo), branch="main")
    assert relpath == ".github/workflows/isk.yml"
    workflow = yaml.safe_load(text)
    triggers = workflow["on"]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"] == "0 23 * * *"
    jobs = workflow["jobs"]
    # Applies never share a group with plans, and are never cancelled.
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    assert "github.repository" in jobs["apply"]["concurrency"]["group"]
    assert "pull_request.number" in jobs["plan"]["concurrency"]["group"]
    assert jobs["plan"]["concurrency"]["group"] != jobs["apply"]["concurrency"]["group"]
    assert "env" not in workflow  # secrets only on the steps that use them
    plan_step = next(step for step in jobs["plan"]["steps"] if step.get("id") == "plan")
    apply_step = next(step for step in jobs["apply"]["steps"] if "apply" in step.get("run", ""))
    for name in ROUTER_SECRETS | {"ISK_AGE_IDENTITY"}:
        assert plan_step["env"][name] == f"${{{{ secrets.{name} }}}}"
        assert apply_step["env"][name] == f"${{{{ secrets.{name} }}}}"
    plan_steps = workflow["jobs"]["plan"]["steps"]
    assert workflow["jobs"]["plan"]["if"] == "github.event_name == 'pull_request'"
    assert plan_steps[0]["with"]["fetch-depth"] == 0  # the base branch is needed for --base
    poster = next(step for step in plan_steps if "github-script" in step.get("uses", ""))
    assert MARKER in poster["with"]["script"] and "updateComment" in poster["with"]["script"]
    assert "pull_request" in workflow["jobs"]["apply"]["if"]
    assert "refs/heads/main" in workflow["jobs"]["apply"]["if"]


def test_gitlab_pipeline_shape(example_repo: Path) -> None:
    relpath, text = render("gitlab", load_state(example_repo))
    assert relpath == ".gitlab-ci.yml"
    pipeline = yaml.safe_load(text)
    assert pipeline["plan"]["resource_group"] != pipeline["apply"]["resource_group"]
    assert "$CI_MERGE_REQUEST_IID" in pipeline["plan"]["resource_group"]
    sources = " ".join(rule["if"] for rule in pipeline["apply"]["rules"])
    assert '"schedule"' in sources and '"push"' in sources
    assert "merge_request_event" in pipeline["validate"]["rules"][0]["if"]
    comment = pipeline["plan"]["variables"]["ISK_COMMENT_SCRIPT"]
    compile(comment, "comment", "exec")  # the comment poster is valid Python
    assert MARKER in comment and '"PUT"' in comment


@pytest.mark.parametrize("job", ["plan", "apply"])
def test_github_jobs_restore_the_parse_cache_before_validating(
    job: str, example_repo: Path
) -> None:
    workflow = yaml.safe_load(render("github", load_state(example_repo))[1])
    steps = workflow["jobs"][job]["steps"]
    caches = [i for i, step in enumerate(steps) if step.get("uses") == "actions/cache@v4"]
    validates = [i for i, step in enumerate(steps) if "isk validate" in step.get("run", "")]
    assert len(caches) == 1 and validates and caches[0] < validates[0]
    cache = steps[caches[0]]["with"]
    # The default XDG cache directory: outside the checkout, where isk looks by default.
    assert cache["path"] == "~/.cache/isk"
    assert "XDG_CACHE_HOME" not in workflow.get("env", {})
    # Keyed by the hash of every file isk parses; a miss restores the newest older cache.
    assert cache["key"] == (
        "isk-cache-${{ runner.os }}-${{ hashFiles('state/**', 'payments/**') }}"
    )
    assert cache["restore-keys"].splitlines() == ["isk-cache-${{ runner.os }}-"]
    assert cache["key"].startswith(cache["restore-keys"].strip())


def test_gitlab_jobs_share_the_parse_cache(example_repo: Path) -> None:
    pipeline = yaml.safe_load(render("gitlab", load_state(example_repo))[1])
    cache = pipeline["default"]["cache"]
    assert cache["paths"] == [".isk-cache/"]
    # isk finds its cache there: XDG_CACHE_HOME is that directory, outside state/.
    assert pipeline["variables"]["XDG_CACHE_HOME"] == "$CI_PROJECT_DIR/.isk-cache"
    assert cache["key"] == {"prefix": "isk-cache", "files": ["state/**/*", "payments/**/*"]}
    assert len(cache["key"]["files"]) <= 2  # GitLab's limit for cache:key:files
    # Every job that runs isk inherits it: none overrides or turns off the default cache.
    for job in ("validate", "plan", "apply"):
        assert "cache" not in pipeline[job]
        assert pipeline[job].get("inherit", {}).get("default", True) is True


def test_ci_init_writes_and_refuses_to_overwrite(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--repo", str(example_repo), "ci", "init", "github"]
    assert run_cli(isk, args) == 0
    out = capsys.readouterr().out
    target = example_repo / ".github" / "workflows" / "isk.yml"
    assert target.is_file() and "ISK_ROUTER_CORE_KUDUS_PASSWORD" in out
    target.write_text("# mine\n")
    assert run_cli(isk, args) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "# mine\n"
    assert run_cli(isk, [*args, "--force"]) == 0
    assert yaml.safe_load(target.read_text())["name"] == "isk"


def test_marker_is_the_one_the_plan_starts_with() -> None:
    from isk_reconcile.render import plan_markdown

    assert MARKER == plan_markdown.MARKER
