"""Committing exactly what a command wrote, and nothing else.

`git commit -- path` commits the whole file as it is in the work tree: when another
command's entry sits uncommitted in the same ledger file (an interrupted `isk pay`, or
one run without --commit), it would be swept into this commit under the wrong message.
Instead the commit is built from HEAD plus the given file contents, in a private index
(`git read-tree`, `update-index --cacheinfo`, `write-tree`, `commit-tree`), and HEAD
moves only if it is still the commit it was built on. The caller holds the repository
lock, so no other isk writer moves HEAD meanwhile. Hooks do not run (plumbing).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from isk_reconcile.errors import IskError

_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def committed_text(repo: Path, relpath: str) -> str | None:
    """The file's text at HEAD (None when HEAD lacks it or there is no commit yet)."""
    from isk_reconcile.gitops.history import open_repo, repo_prefix

    handle = open_repo(repo)
    prefix = repo_prefix(handle, repo)
    try:
        blob = handle.head.commit.tree / (prefix + relpath)
    except (KeyError, ValueError):
        return None
    return blob.data_stream.read().decode("utf-8", errors="replace")


def commit_contents(repo: Path, contents: Mapping[str, str], message: str) -> str:
    """Commit HEAD with exactly `contents` ({path relative to the state repo: text});
    returns the short sha. The index entries of those paths follow the commit; the work
    tree and every other path are left as they are."""
    from isk_reconcile.gitops.history import open_repo, repo_prefix, require_identity

    handle = open_repo(repo)
    require_identity(handle)
    top = Path(handle.working_tree_dir or repo)
    inside = {repo_prefix(handle, repo) + path: text for path, text in contents.items()}
    try:
        parent = handle.head.commit.hexsha
    except ValueError:  # no commit yet
        parent = None
    with tempfile.TemporaryDirectory(dir=handle.git_dir) as scratch:
        private = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(top, ["read-tree", parent or _EMPTY_TREE], private)
        blobs = {
            path: _git(top, ["hash-object", "-w", "--stdin"], private, text.encode("utf-8"))
            for path, text in inside.items()
        }
        for path, blob in blobs.items():
            _git(top, ["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], private)
        tree = _git(top, ["write-tree"], private)
    command = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    sha = _git(top, command, dict(os.environ))
    _git(top, ["update-ref", "-m", f"isk: {message}", "HEAD", sha, parent or ""], None)
    for path, blob in blobs.items():  # `git status` then shows only what others left
        _git(top, ["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], None)
    return sha[:7]


def _git(top: Path, args: list[str], env: Mapping[str, str] | None, data: bytes = b"") -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=top,
            env=dict(env) if env is not None else None,
            input=data,
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as problem:
        detail = problem.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise IskError(f"git commit failed: {detail[-1] if detail else problem}") from None
    except FileNotFoundError:
        raise IskError("git commit failed: git is not installed") from None
    return done.stdout.decode("utf-8", errors="replace").strip()
