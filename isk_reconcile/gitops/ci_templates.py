"""Pipeline files for `isk ci init github|gitlab`.

Both pipelines do the same three things: on a pull/merge request, `isk validate --base`
and `isk plan --format markdown` posted as one comment that is updated in place (found
by the `<!-- isk-plan -->` marker); on a push to the main branch, `isk apply
--auto-approve`; and a daily scheduled apply so suspensions happen on time. One run at
a time per repository; router passwords and the age identity come from the CI's
secret store, never from the repository. Every job restores the parse cache (see
state/parsecache.py: plain JSON under $XDG_CACHE_HOME/isk, never in the repository)
keyed by the hash of state/** and payments/**, so `isk validate` is not cold in each job.
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
INSTALL = 'pip install "${ISK_PACKAGE:-isk-reconcile}"'
# GitHub caches the default XDG location, outside the checkout. GitLab caches only paths
# inside the project directory, so there XDG_CACHE_HOME points at an ignored directory
# next to (never under) state/; parsecache ignores it if a commit ever tracks it.
GITHUB_CACHE_PATH = "~/.cache/isk"
CACHE_PATH = ".isk-cache"  # GitLab: relative to $CI_PROJECT_DIR
CACHE_PREFIX = "isk-cache"
# What the cache is keyed by: every file isk parses lives under these two directories.
CACHE_GLOBS = ("state/**", "payments/**")


def secret_names(state: State) -> list[str]:
    """The secrets the pipeline needs: the age identity and every router's API password."""
    routers = sorted({router.password_variable for router in state.routers.values()})
    channels = state.settings.notify.channels.values()  # notification gateway tokens
    tokens = sorted({channel.token_env for channel in channels if channel.token_env})
    return ["ISK_AGE_IDENTITY", *routers, *tokens]


def render(kind: str, state: State, branch: str = "main") -> tuple[str, str]:
    """(path relative to the git root, file text) for the `kind` pipeline."""
    if kind == "github":
        return TARGETS[kind], github(secret_names(state), branch)
    if kind == "gitlab":
        return TARGETS[kind], gitlab(secret_names(state))
    raise IskError(f"unknown CI {kind!r}: choose github or gitlab")


def write(root: Path, kind: str, state: State, force: bool = False, branch: str = "main") -> Path:
    relpath, text = render(kind, state, branch)
    target = root / relpath
    if target.exists() and not force:
        raise IskError(f"{relpath} already exists: pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


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


def github(secrets: Iterable[str], branch: str) -> str:
    env = "\n".join(f"  {name}: ${{{{ secrets.{name} }}}}" for name in secrets)
    cache = _github_cache_step()
    return f"""\
# isk-reconcile pipeline, written by `isk ci init github`.
# Secrets (Settings > Secrets and variables > Actions): {", ".join(secrets)}.
# ISK_PACKAGE (a repository variable) overrides what is installed, e.g. a git URL.
name: isk

"on":
  pull_request:
  push:
    branches: [{branch}]
  schedule:
    - cron: "{DAILY_CRON}"  # daily apply: suspensions happen on time without a merge
  workflow_dispatch:

# One run at a time per repository: two applies must never race on a router.
concurrency:
  group: isk-${{{{ github.repository }}}}
  cancel-in-progress: false

permissions:
  contents: read
  pull-requests: write

env:
  ISK_PACKAGE: ${{{{ vars.ISK_PACKAGE }}}}
{env}

jobs:
  plan:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: {INSTALL}
{cache}
      - name: Validate against the base branch
        run: isk validate --base "origin/${{{{ github.base_ref }}}}"
      - name: Plan
        id: plan
        run: |
          set +e
          isk plan --format markdown > plan.md
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
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: {INSTALL}
{cache}
      - run: isk validate
      - run: isk apply --auto-approve
      # Then notifications; the outbox (what was sent) is committed so no message goes twice.
      - if: ${{{{ !cancelled() }}}}  # reminders go out even when a router failed
        run: |
          git config user.name isk && git config user.email isk@users.noreply.github.com
          isk notify send --commit && git pull -q --rebase && git push
"""


def gitlab(secrets: Iterable[str]) -> str:
    names = " ".join(secrets)
    # cache:key:files takes at most two paths; a wildcard one hashes every matching file.
    key_files = ", ".join(f'"{glob}/*"' for glob in CACHE_GLOBS)
    return f"""\
# isk-reconcile pipeline, written by `isk ci init gitlab`.
# CI/CD variables (Settings > CI/CD > Variables, masked and protected): {names}
# and ISK_GITLAB_TOKEN (a project access token with `api` scope, to post the plan).
# Daily apply: add a pipeline schedule (Build > Pipeline schedules), e.g. "{DAILY_CRON}".
stages: [validate, plan, apply]

default:
  image: python:3.12-slim
  before_script:
    - apt-get update -qq && apt-get install -qq -y git > /dev/null
    - {INSTALL}
    - for name in {names}; do [ -n "$(printenv $name)" ] || echo "warning: $name is not set"; done
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
  resource_group: isk  # one run at a time per repository
  script:
    - status=0; isk plan --format markdown > plan.md || status=$?
    - python3 -c "$ISK_COMMENT_SCRIPT" plan.md
    - exit $status
  variables:
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
          with urllib.request.urlopen(request) as reply:
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
  resource_group: isk  # one run at a time per repository
  script:
    - isk validate
    - isk apply --auto-approve
    # Then notifications; the outbox (what was sent) is committed and pushed with
    # ISK_PUSH_URL (https://oauth2:<project token>@host/group/repo.git) so no message goes twice.
    - git config user.name isk && git config user.email isk@localhost
    - isk notify send --commit
    - test "$(git rev-parse HEAD)" = "$CI_COMMIT_SHA" || (git pull -q --rebase
      "$ISK_PUSH_URL" "$CI_COMMIT_BRANCH" && git push "$ISK_PUSH_URL" "HEAD:$CI_COMMIT_BRANCH")
"""
