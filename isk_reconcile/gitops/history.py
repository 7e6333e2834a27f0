"""The repository's git history: committing the tool's own writes, and per-customer timelines.

A timeline interleaves three things, each with the commit that recorded it:
changes to the customer's file (field by field, renames followed), the ledger entries
for the customer, and the standing changes (suspended / re-enabled) they caused.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import yaml

from isk_reconcile.billing.engine import Standing
from isk_reconcile.errors import IskError
from isk_reconcile.state.model import State

if TYPE_CHECKING:  # GitPython (40 ms to import) is imported where it is used
    import git

SECRET_FIELDS = frozenset({"password"})
_RECORD = "\x1e"
_UNIT = "\x1f"
_FORMAT = f"{_RECORD}%H{_UNIT}%an{_UNIT}%ae{_UNIT}%aI{_UNIT}%s"


def open_repo(repo: Path) -> git.Repo:
    import git

    try:
        return git.Repo(repo, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise IskError(f"{repo} is not inside a git repository") from None


def repo_prefix(handle: git.Repo, repo: Path) -> str:
    """The state repository's path inside the git work tree ('' at the top, else 'dir/')."""
    top = Path(handle.working_tree_dir or "").resolve()
    relative = repo.resolve().relative_to(top).as_posix()
    return "" if relative == "." else relative + "/"


def head_commit(repo: Path | None) -> str | None:
    """The commit a plan or dashboard was made from: HEAD of the git work tree holding the
    state repository, or None when there is none (not a repository, no commit yet, or a
    parent repository that does not track this state repository's routers.yaml, whose
    commit would say nothing about these files). Uncommitted edits are not marked: the
    plan JSON `commit` stays a sha or null (SPEC §6); see docs/reconciler.md.

    One `git rev-parse` of HEAD and of routers.yaml in it (a few milliseconds), not
    GitPython: importing it and opening the repository took 40 ms of every plan that CI
    makes in a checkout (issue 12)."""
    if repo is None or not _inside_a_work_tree(repo):
        return None
    command = ["git", "-C", str(repo), "rev-parse", "HEAD", "HEAD:./state/routers.yaml"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=HEAD_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):  # no git, or a git that hangs: no commit
        return None
    found = done.stdout.decode("ascii", errors="replace").split()
    if done.returncode != 0 or len(found) != 2 or not COMMIT_SHA.fullmatch(found[0]):
        return None  # not a repository, no commit yet, routers.yaml not tracked
    return found[0]


HEAD_TIMEOUT_S = 30.0
COMMIT_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # sha-1, or sha-256 repositories


def _inside_a_work_tree(repo: Path) -> bool:
    """Whether `repo` or a directory above it holds `.git` (a directory, or a file for a
    linked work tree or submodule); GitPython is not imported without one."""
    start = repo.resolve()
    return any((folder / ".git").exists() for folder in (start, *start.parents))


# --- committing the tool's own writes --------------------------------------------------


def commit_files(repo: Path, paths: Iterable[str], message: str) -> str:
    """Commit exactly `paths` (relative to the state repo) as they are in the work tree;
    returns the short sha. Nothing else, staged or not, goes into the commit.

    Author and committer come from git's own configuration (or GIT_AUTHOR_* variables).
    """
    from isk_reconcile.gitops.commits import commit_contents

    contents = {path: (repo / path).read_text(encoding="utf-8") for path in paths}
    return commit_contents(repo, contents, message)


def changed_files(repo: Path, folder: str) -> list[str]:
    """Files under `folder` (relative to the state repo) that are new or modified."""
    handle = open_repo(repo)
    prefix = repo_prefix(handle, repo)
    output = handle.git.status("--porcelain", "-z", "--untracked-files=all", "--", prefix + folder)
    paths = [entry[3:] for entry in output.split("\0") if len(entry) > 3]
    return sorted(path[len(prefix) :] for path in paths if path.startswith(prefix))


def check_can_commit(repo: Path) -> None:
    """Refuse early (before anything is written) when a commit would fail."""
    require_identity(open_repo(repo))


def require_identity(handle: git.Repo) -> None:
    reader = handle.config_reader()
    for key, variable in (("name", "GIT_AUTHOR_NAME"), ("email", "GIT_AUTHOR_EMAIL")):
        if os.environ.get(variable):
            continue
        if not reader.get_value("user", key, default=""):
            raise IskError(
                f'git user.{key} is not set: run `git config user.{key} "..."` '
                "so the commit has an author"
            )


# --- timeline values -------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    when: datetime
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class FieldChange:
    field: str  # dotted path, e.g. "pppoe.remote_address"
    before: object
    after: object

    @property
    def secret(self) -> bool:
        return self.field.split(".")[-1] in SECRET_FIELDS

    def __repr__(self) -> str:
        if self.secret:
            return f"FieldChange({self.field!r}, (hidden))"
        return f"FieldChange({self.field!r}, {self.before!r}, {self.after!r})"

    def __str__(self) -> str:
        if self.secret:
            if self.before is None or self.after is None:
                return f"{self.field}: ({'set' if self.before is None else 'removed'})"
            return f"{self.field}: (changed)"
        if self.before is None:
            return f"{self.field}: {_show(self.after)} (added)"
        if self.after is None:
            return f"{self.field}: {_show(self.before)} (removed)"
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"


def _show(value: object) -> str:
    """A value as YAML spells it (`true`, `null`, `2026-01-05`), for people reading history."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Event:
    day: date
    kind: str  # "created" | "changed" | "renamed" | "deleted" | "ledger" | "standing"
    summary: str
    commit: Commit | None = None
    changes: tuple[FieldChange, ...] = ()
    file: str = ""
    entry: str = ""  # the ledger entry id of a "ledger" event

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "date": self.day.isoformat(),
            "kind": self.kind,
            "summary": self.summary,
            "file": self.file or None,
            "changes": [
                {
                    "field": change.field,
                    "from": _json_value(change),
                    "to": _json_value(change, after=True),
                }
                for change in self.changes
            ],
            "commit": None,
        }
        if self.commit is not None:
            info = asdict(self.commit)
            info["when"] = self.commit.when.isoformat()
            info["short"] = self.commit.short
            data["commit"] = info
        return data


def _json_value(change: FieldChange, after: bool = False) -> object:
    value = change.after if after else change.before
    if change.secret and value is not None:
        return "(hidden)"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return _show(value)
    return value


# --- customer file changes -------------------------------------------------------------


def _log(handle: git.Repo, *arguments: str) -> Iterator[tuple[Commit, list[str]]]:
    """Commits of `git log` with their --name-status (or other body) lines."""
    output = handle.git.log(f"--format={_FORMAT}", *arguments)
    for record in output.split(_RECORD)[1:]:
        header, _, body = record.partition("\n")
        sha, author, email, when, subject = header.split(_UNIT)
        commit = Commit(sha, author, email, datetime.fromisoformat(when), subject)
        yield commit, [line for line in body.splitlines() if line.strip()]


def _parse(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {"(unparsable)": True}
    return data if isinstance(data, dict) else {}


def _blob(handle: git.Repo, revision: str, path: str) -> str | None:
    import git

    try:
        return handle.git.show(f"{revision}:{path}")
    except git.GitCommandError:
        return None


def field_changes(before: dict, after: dict) -> tuple[FieldChange, ...]:
    """Field-level differences between two parsed customer files.

    Nested mappings become dotted fields (pppoe.password); a list (a dated value) is
    one field, shown whole, because "profile: home-10m → [{from: ...}]" is what a
    reader checks.
    """
    flat_before, flat_after = _flatten(before), _flatten(after)
    from deepdiff import DeepDiff  # only `isk log`/`history` compare states (start-up time)

    diff = DeepDiff(flat_before, flat_after, view="tree")
    fields: set[str] = set()
    for report in diff.values():
        for level in report:
            path = level.path(output_format="list")
            # An empty path is a change of the whole document (e.g. from nothing).
            fields.update([str(path[0])] if path else flat_before.keys() | flat_after.keys())
    return tuple(
        FieldChange(name, flat_before.get(name), flat_after.get(name)) for name in sorted(fields)
    )


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def file_events(handle: git.Repo, prefix: str, customer_id: str) -> list[Event]:
    path = f"{prefix}state/customers/{customer_id}.yaml"
    events: list[Event] = []
    # --date-order: the true order (no parent before its children), then commit time;
    # newest first, so the events are reversed at the end.
    entries = list(_log(handle, "--date-order", "--follow", "--name-status", "-M", "--", path))
    for commit, lines in entries:
        if not lines:  # a merge that kept one side's file: its own commits tell the story
            continue
        status, old_path, new_path = _name_status(lines)
        after = _parse(_blob(handle, commit.sha, new_path)) if status != "D" else {}
        before = {}
        if status != "A":
            before = _parse(_blob(handle, commit.sha + "^", old_path))
        shown = new_path[len(prefix) :]
        if status == "A":
            kind, summary = "created", f"customer file {shown} created"
        elif status == "D":
            kind, summary = "deleted", f"customer file {old_path[len(prefix) :]} deleted"
        elif status.startswith("R"):
            kind, summary = "renamed", f"renamed {old_path[len(prefix) :]} → {shown}"
        else:
            kind, summary = "changed", f"customer file {shown} changed"
        changes = field_changes(before, after) if kind in ("changed", "renamed") else ()
        if kind == "created":
            changes = field_changes({}, after)
        events.append(Event(commit.when.date(), kind, summary, commit, changes, file=shown))
    return events[::-1]


def _name_status(lines: list[str]) -> tuple[str, str, str]:
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].startswith(("R", "C")):
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            return parts[0], parts[1], parts[1]
    return "M", "", ""


# --- ledger entries -------------------------------------------------------------------

_ID_LINE = re.compile(r"""\bid:\s*["']?([^"',}\s#]+)""")


def entry_commits(handle: git.Repo, prefix: str, wanted: Iterable[str]) -> dict[str, Commit]:
    """The commit that first added each wanted ledger entry id: one pass over the patches."""
    remaining = set(wanted)
    found: dict[str, Commit] = {}
    if not remaining:
        return found
    output = handle.git.log(
        "--reverse",
        "--date-order",
        f"--format={_FORMAT}",
        "-p",
        "--unified=0",
        "--no-color",
        "--",
        f"{prefix}payments",
    )
    commit: Commit | None = None
    for line in output.split("\n"):  # not splitlines(): it splits on the \x1e marker
        if line.startswith(_RECORD):
            sha, author, email, when, subject = line[1:].split(_UNIT)
            commit = Commit(sha, author, email, datetime.fromisoformat(when), subject)
        elif commit is not None and line.startswith("+") and not line.startswith("+++"):
            for match in _ID_LINE.finditer(line):
                entry_id = match[1]
                if entry_id in remaining:
                    remaining.discard(entry_id)
                    found[entry_id] = commit
    return found


def ledger_events(handle: git.Repo, prefix: str, state: State, customer_id: str) -> list[Event]:
    from isk_reconcile.billing.engine import rupiah

    entries = state.entries_for(customer_id)
    commits = entry_commits(handle, prefix, (entry.id for entry in entries))
    events = []
    for entry in entries:
        verb = entry.kind  # payment | credit | refund | writeoff
        if entry.kind == "writeoff":
            verb += f" ({entry.reason})"
        detail = f" {entry.method}" if entry.method else ""
        reference = f" ({entry.reference})" if entry.reference else ""
        location = state.loc("ledger", entry.id)
        committed = commits.get(entry.id)
        summary = f"{verb} {entry.id} {rupiah(entry.amount)}{detail}{reference}"
        if committed is None:
            summary += " (not committed yet)"
        file = location.file if location else ""
        events.append(Event(entry.date, "ledger", summary, committed, file=file, entry=entry.id))
    return events


# --- standing changes ------------------------------------------------------------------


def standing_events(state: State, customer_id: str, as_of: date) -> list[Event]:
    """Transitions of the customer's access, evaluated day by day up to as_of."""
    from isk_reconcile.billing.engine import standing

    customer = state.customers.get(customer_id)
    if customer is None:
        return []
    events: list[Event] = []
    previous = "absent"
    day = customer.start
    last = as_of
    if customer.end is not None:
        last = min(as_of, customer.end + timedelta(days=1))
    while day <= last:
        current = standing(state, customer_id, day)
        if current.access != previous:
            events.append(Event(day, "standing", _transition(previous, current), None))
            previous = current.access
        day += timedelta(days=1)
    return events


def _transition(previous: str, current: Standing) -> str:
    if current.access == "enabled":
        verb = "enabled" if previous == "absent" else "re-enabled"
    elif current.access == "suspended":
        verb = "suspended"
    else:
        verb = "removed from the router"
    return f"{verb} ({current.reason})" if current.reason else verb


# --- the whole timeline ----------------------------------------------------------------

_ORDER = {"created": 0, "renamed": 1, "changed": 2, "deleted": 3, "ledger": 4, "standing": 5}


def timeline(
    repo: Path, state: State, customer_id: str, as_of: date, timezone: str | None = None
) -> list[Event]:
    """The customer's events, oldest first. Commits keep git's true order (a commit never
    before its parent, then by time) even when their clocks disagree; ledger entries and
    standing changes fall in by day, ledger entries of one day in id order. Commit times
    are in `timezone` (default: settings.timezone, the ISP's)."""
    handle = open_repo(repo)
    prefix = repo_prefix(handle, repo)
    zone = ZoneInfo(timezone or state.settings.timezone)
    files = [_in_zone(event, zone) for event in file_events(handle, prefix, customer_id)]
    if not files and customer_id not in state.customers:
        raise IskError(f"unknown customer {customer_id!r}: no such file now or in git history")
    others = [_in_zone(event, zone) for event in ledger_events(handle, prefix, state, customer_id)]
    others += standing_events(state, customer_id, as_of)
    others.sort(key=_sort_key)
    return _merge(files, others)


def _in_zone(event: Event, zone: ZoneInfo) -> Event:
    if event.commit is None:
        return event
    when = event.commit.when.astimezone(zone)
    commit = replace(event.commit, when=when)
    day = when.date() if event.kind != "ledger" else event.day
    return replace(event, commit=commit, day=day)


def _merge(commits: list[Event], others: list[Event]) -> list[Event]:
    """Both lists kept in their own order, interleaved by (day, kind)."""
    merged: list[Event] = []
    at = 0
    for event in commits:
        while at < len(others) and _sort_key(others[at])[:2] < _sort_key(event)[:2]:
            merged.append(others[at])
            at += 1
        merged.append(event)
    return merged + others[at:]


def _sort_key(event: Event) -> tuple:
    return (event.day, _ORDER[event.kind], _natural(event.entry), event.summary)


def _natural(text: str) -> tuple:
    """P-2026-11-0009 before P-2026-11-0010 whatever the number's width."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


__all__ = [
    "Commit",
    "Event",
    "FieldChange",
    "commit_files",
    "field_changes",
    "timeline",
]
