"""Pipeline files for `isk ci init github|gitlab`.

Both pipelines do the same three things: on a pull/merge request, `isk validate --base`
and `isk plan --base --format markdown` posted as one comment that is updated in place
(found by the `<!-- isk-plan -->` marker); on a push to the main branch, `isk apply
--auto-approve`; and a daily scheduled apply so suspensions happen on time.

A pull request is untrusted input (docs/security.md), so:
- the plan takes every router's connection settings from the base branch (`--base`):
  a PR that moves a router is planned `skipped`, its password goes nowhere new;
- the plan job gets only the read-only API passwords (`read_password_env`) where the
  routers name one; the write passwords reach only the apply job on the main branch;
  secrets are set on the steps that need them, never on the install step;
- isk is installed from a source the ISP pins (`ISK_PACKAGE`: a git URL at a full
  commit sha, or a wheel in the repository), never an unpinned name from a public index;
- plans of one PR share a concurrency group (a newer push cancels the older plan); applies
  have their own, never cancelled, so a PR can never drop the apply of a merge.

Every job restores the parse cache (state/parsecache.py: plain JSON under
$XDG_CACHE_HOME/isk, never read from the repository) keyed by the hash of state/** and
payments/**, so `isk validate` is not cold in each job. The daily apply then sends the
due notifications and commits their outbox (docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from isk_reconcile.errors import IskError
from isk_reconcile.state.model import State

TARGETS = {"github": ".github/workflows/isk.yml", "gitlab": ".gitlab-ci.yml"}
MARKER = "<!-- isk-plan -->"
# 23:00 UTC is 06:00 in Asia/Jakarta: suspensions land at the start of the day.
DAILY_CRON = "0 23 * * *"
IDENTITY = "ISK_AGE_IDENTITY"
PIN_EXAMPLE = "git+https://github.com/YOUR-ORG/isk-reconcile@<full 40-character commit sha>"
# The install step: only from the pinned source the ISP set (no default from an index).
INSTALL_SCRIPT = (
    'if [ -z "$ISK_PACKAGE" ]; then echo "ISK_PACKAGE is not set: set it to a pinned '
    f'source, e.g. {PIN_EXAMPLE}, or a wheel committed to this repository"; exit 1; fi',
    'python3 -m pip install --quiet "$ISK_PACKAGE"',
)
# GitHub caches the default XDG location, outside the checkout. GitLab caches only paths
# inside the project directory, so there XDG_CACHE_HOME points at an ignored directory
# next to (never under) state/; parsecache ignores it if a commit ever tracks it.
GITHUB_CACHE_PATH = "~/.cache/isk"
CACHE_PATH = ".isk-cache"  # GitLab: relative to $CI_PROJECT_DIR
CACHE_PREFIX = "isk-cache"
# What the cache is keyed by: every file isk parses lives under these two directories.
CACHE_GLOBS = ("state/**", "payments/**")


def write_secrets(state: State) -> list[str]:
    """What the apply job needs: the age identity and every router's write password."""
    routers = sorted({router.password_variable for router in state.routers.values()})
    return [IDENTITY, *routers]


# The payment gateways' API keys (gateway/midtrans.py, gateway/xendit.py KEY_VARIABLE;
# gitops may not import gateway/): `isk notify send` makes the reminders' payment links.
PAYMENT_KEYS = {"midtrans": "ISK_MIDTRANS_SERVER_KEY", "xendit": "ISK_XENDIT_SECRET_KEY"}


def notify_secrets(state: State) -> list[str]:
    """What the notification step of the daily apply needs: the gateways' tokens and
    logins, and the payment gateway's key when reminders carry payment links."""
    names = set()
    for channel in state.settings.notify.channels.values():
        names |= {channel.token_env, channel.user_env}
    gateway = state.settings.payments.gateway
    if gateway is not None and state.settings.notify.payment_links:
        names.add(PAYMENT_KEYS[gateway])
    return sorted(name for name in names if name)


def plan_secrets(state: State) -> list[str]:
    """What the pull-request plan job needs: the age identity and, per router, its
    read-only password where routers.yaml names one (else its only password)."""
    routers = sorted(
        {router.read_password_env or router.password_variable for router in state.routers.values()}
    )
    return [IDENTITY, *routers]


def secret_names(state: State) -> list[str]:
    """Every secret the pipeline uses (for the CI's secret store)."""
    everything = [*write_secrets(state), *notify_secrets(state), *plan_secrets(state)]
    return list(dict.fromkeys(everything))


def render(kind: str, state: State, branch: str = "main") -> tuple[str, str]:
    """(path relative to the git root, file text) for the `kind` pipeline."""
    if kind == "github":
        secrets = (plan_secrets(state), write_secrets(state), branch, notify_secrets(state))
        return TARGETS[kind], github(*secrets)
    if kind == "gitlab":
        return TARGETS[kind], gitlab(
            plan_secrets(state), write_secrets(state) + notify_secrets(state)
        )
    raise IskError(f"unknown CI {kind!r}: choose github or gitlab")


def write(root: Path, kind: str, state: State, force: bool = False, branch: str = "main") -> Path:
    relpath, text = render(kind, state, branch)
    target = root / relpath
    if target.exists() and not force:
        raise IskError(f"{relpath} already exists: pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


# What a state repository keeps out of git: caches and outputs of the tool, and any
# private key a careless copy could put next to the files.
GITIGNORE = """\
# isk: caches, outputs and secrets never belong in the state repository
.isk-cache/
/out/
*.xlsx
plan.json
plan.md
*identity*.txt
.env
"""


def ensure_gitignore(repo: Path, *, example: bool = False) -> Path | None:
    """Write `repo/.gitignore` (GITIGNORE: cache, outputs, keys) when there is none; the
    path written, or None when one exists (it is the ISP's: never changed). The one writer
    of it: `isk init` and `isk ci init`. `example`: the example ISP's, which commits its
    labelled demo identity (public by design), so identity files are not ignored."""
    target = repo / ".gitignore"
    text = GITIGNORE.replace("*identity*.txt\n", "") if example else GITIGNORE
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        return None
    return target


def _step_env(names: Iterable[str], indent: int) -> str:
    pad = " " * indent
    return "\n".join(f"{pad}{name}: ${{{{ secrets.{name} }}}}" for name in names)


def _github_install() -> str:
    script = "\n".join(f"          {line}" for line in INSTALL_SCRIPT)
    return f"""\
      - name: Install isk-reconcile from the pinned source
        env:
          ISK_PACKAGE: ${{{{ vars.ISK_PACKAGE }}}}
        run: |
{script}"""


def _github_cache_step() -> str:
    """actions/cache for the parse cache: exact key on the files' hash; on a miss the newest
    cache of the same prefix is restored (the pack is content-addressed per file, so an
    older one is never wrong, only re-parses the files that changed)."""
    globs = ", ".join(f"'{glob}'" for glob in CACHE_GLOBS)
    return f"""\
      - name: Restore the parse cache
        uses: actions/cache@v4
        with:
          path: {GITHUB_CACHE_PATH}
          key: {CACHE_PREFIX}-${{{{ runner.os }}}}-${{{{ hashFiles({globs}) }}}}
          restore-keys: |
            {CACHE_PREFIX}-${{{{ runner.os }}}}-"""


# long because the workflow file is one f-string literal: split, its YAML could no longer
# be read (and reviewed) top to bottom as the file the ISP commits.
def github(
    plan_secrets: Iterable[str],
    write_secrets: Iterable[str],
    branch: str,
    notify_secrets: Iterable[str] = (),
) -> str:
    plan_env, write_env, notify_env = list(plan_secrets), list(write_secrets), list(notify_secrets)
    notify_env_block = f"        env:\n{_step_env(notify_env, 10)}\n" if notify_env else ""
    cache, install = _github_cache_step(), _github_install()
    setup = f"""\
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
{install}
{cache}"""
    return f"""\
# isk-reconcile pipeline, written by `isk ci init github`.
# Secrets (Settings > Secrets and variables > Actions):
#   pull-request plans: {", ".join(plan_env)}
#   applies:            {", ".join(write_env)}
#   notifications:      {", ".join(notify_env) or "(none configured)"}
# Give plans a read-only API user (routers.yaml read_username/read_password_env, RouterOS
# group with the read and api policies only): a pull request's job then never holds a
# password that can change a router.
# Variable ISK_PACKAGE (Settings > Variables): where isk is installed from, pinned, e.g.
#   {PIN_EXAMPLE}
# Routers on a management network: run the jobs on a self-hosted runner inside it
# (Settings > Actions > Runners), i.e. replace `runs-on: ubuntu-latest` with
# `runs-on: [self-hosted, isk]`, and keep "Require approval for fork pull requests" on.
name: isk

"on":
  pull_request:
  push:
    branches: [{branch}]
  schedule:
    - cron: "{DAILY_CRON}"  # daily apply: suspensions happen on time without a merge
  workflow_dispatch:

permissions:
  contents: read

jobs:
  plan:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    # One plan per pull request: a newer push replaces the older plan. Applies have their
    # own group, so a pull request never cancels the apply of a merge.
    concurrency:
      group: isk-plan-${{{{ github.event.pull_request.number }}}}
      cancel-in-progress: true
    env:
      BASE_REF: ${{{{ github.base_ref }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          persist-credentials: false
{setup}
      - name: Validate against the base branch
        run: isk validate --base "origin/$BASE_REF"
      - name: Plan (connection settings from the base branch)
        id: plan
        env:
{_step_env(plan_env, 10)}
        run: |
          set +e
          isk plan --base "origin/$BASE_REF" --format markdown > plan.md
          echo "exit=$?" >> "$GITHUB_OUTPUT"
      - name: Post the plan as one comment, updated in place
        uses: actions/github-script@v7
        with:
          script: |
            const fs = require('fs');
            const marker = '{MARKER}';
            let body = fs.readFileSync('plan.md', 'utf8');
            if (!body.startsWith(marker)) {{
              body = marker + '\\n**isk plan failed**: see the job log.\\n\\n' + body;
            }}
            const {{owner, repo}} = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments,
              {{owner, repo, issue_number}});
            const mine = comments.find(c => c.body && c.body.startsWith(marker));
            if (mine) {{
              await github.rest.issues.updateComment({{owner, repo, comment_id: mine.id, body}});
            }} else {{
              await github.rest.issues.createComment({{owner, repo, issue_number, body}});
            }}
      - name: Fail when the plan failed
        if: steps.plan.outputs.exit != '0'
        run: exit 1

  apply:
    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/{branch}'
    runs-on: ubuntu-latest
    permissions:
      contents: write  # commits the notification outbox
    # Applies queue one after another and are never cancelled.
    concurrency:
      group: isk-apply-${{{{ github.repository }}}}
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4  # keeps its token: the outbox commit is pushed (main only)
{setup}
      - run: isk validate
      - name: Apply
        env:
{_step_env(write_env, 10)}
        run: isk apply --auto-approve
      # Then notifications; the outbox (what was sent) is committed so no message goes twice.
      - name: Send notifications and commit the outbox
        if: ${{{{ !cancelled() }}}}  # reminders go out even when a router failed
{notify_env_block}        run: |
          git config user.name isk && git config user.email isk@users.noreply.github.com
          isk notify send --commit && git pull -q --rebase && git push
"""


def _gitlab_check(names: Iterable[str]) -> str:
    """A script line warning about unset variables (a block scalar: `: ` in a plain one
    would make GitLab read the line as a mapping)."""
    listed = " ".join(names)
    return (
        "    - |\n"
        f"      for name in {listed}; do\n"
        '        [ -n "$(printenv "$name")" ] || echo "warning - $name is not set"\n'
        "      done"
    )


def _single_quoted(text: str) -> str:
    """A YAML single-quoted scalar (a plain one could read `: ` as a mapping)."""
    return "'" + text.replace("'", "''") + "'"


# long because the pipeline file is one f-string literal (see `github`).
def gitlab(plan_secrets: Iterable[str], write_secrets: Iterable[str]) -> str:
    plan_env, write_env = list(plan_secrets), list(write_secrets)
    # cache:key:files takes at most two paths; a wildcard one hashes every matching file.
    key_files = ", ".join(f'"{glob}/*"' for glob in CACHE_GLOBS)
    install = "\n".join(f"    - {_single_quoted(line)}" for line in INSTALL_SCRIPT)
    write_only = " ".join(name for name in write_env if name not in plan_env) or "-"
    return f"""\
# isk-reconcile pipeline, written by `isk ci init gitlab`.
# CI/CD variables (Settings > CI/CD > Variables), all masked:
#   pull-request plans (not protected): {" ".join(plan_env)}
#   applies only (protected: merge-request pipelines never see them): {write_only}
#   ISK_GITLAB_TOKEN: a project access token with `api` scope, to post the plan
#   ISK_PACKAGE: where isk is installed from, pinned, e.g. {PIN_EXAMPLE}
# Give plans a read-only API user (routers.yaml read_username/read_password_env, RouterOS
# group with the read and api policies only).
# Routers on a management network: register a runner inside it and give the jobs its
# tag (add `tags: [isk]` to each job).
# Daily apply: add a pipeline schedule (Build > Pipeline schedules), e.g. "{DAILY_CRON}".
stages: [validate, plan, apply]

default:
  image: python:3.12-slim
  before_script:
    - apt-get update -qq && apt-get install -qq -y git > /dev/null
{install}
  # The parse cache, so each job's validate is not cold. Protected branches (the apply)
  # and merge requests keep separate caches (GitLab's default, cache:unprotect false).
  cache:
    key:
      prefix: {CACHE_PREFIX}
      files: [{key_files}]
    paths: [{CACHE_PATH}/]

variables:
  GIT_DEPTH: "0"
  XDG_CACHE_HOME: "$CI_PROJECT_DIR/{CACHE_PATH}"  # the parse cache, see default: cache

validate:
  stage: validate
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - git fetch -q origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - isk validate --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"

plan:
  stage: plan
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  resource_group: isk-plan-$CI_MERGE_REQUEST_IID  # one plan at a time per merge request
  script:
{_gitlab_check(plan_env)}
    - git fetch -q origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - status=0; isk plan --base "$BASE_REF" --format markdown > plan.md || status=$?
    - python3 -c "$ISK_COMMENT_SCRIPT" plan.md
    - exit $status
  variables:
    BASE_REF: origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME
    ISK_COMMENT_SCRIPT: |
      import json, os, sys, urllib.request
      marker = "{MARKER}"
      body = open(sys.argv[1], encoding="utf-8").read()
      if not body.startswith(marker):
          body = marker + "\\n**isk plan failed**: see the job log.\\n\\n" + body
      api = os.environ["CI_API_V4_URL"]
      project = os.environ["CI_PROJECT_ID"]
      mr = os.environ["CI_MERGE_REQUEST_IID"]
      headers = {{"PRIVATE-TOKEN": os.environ["ISK_GITLAB_TOKEN"],
                 "Content-Type": "application/json"}}
      def call(method, url, data=None):
          request = urllib.request.Request(url, method=method, headers=headers,
              data=None if data is None else json.dumps(data).encode())
          with urllib.request.urlopen(request, timeout=60) as reply:
              return json.load(reply)
      notes_url = f"{{api}}/projects/{{project}}/merge_requests/{{mr}}/notes"
      notes = call("GET", notes_url + "?per_page=100")
      mine = [n for n in notes if n.get("body", "").startswith(marker)]
      if mine:
          call("PUT", f"{{notes_url}}/{{mine[0]['id']}}", {{"body": body}})
      else:
          call("POST", notes_url, {{"body": body}})

apply:
  stage: apply
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "schedule"
  resource_group: isk-apply  # applies one after another, never together with a plan's group
  script:
{_gitlab_check(write_env)}
    - isk validate
    - isk apply --auto-approve
    # Then notifications; the outbox (what was sent) is committed and pushed with
    # ISK_PUSH_URL (https://oauth2:<project token>@host/group/repo.git) so no message goes twice.
    - git config user.name isk && git config user.email isk@localhost
    - isk notify send --commit
    - test "$(git rev-parse HEAD)" = "$CI_COMMIT_SHA" || (git pull -q --rebase
      "$ISK_PUSH_URL" "$CI_COMMIT_BRANCH" && git push "$ISK_PUSH_URL" "HEAD:$CI_COMMIT_BRANCH")
"""
