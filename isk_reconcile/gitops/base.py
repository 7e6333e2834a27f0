"""Router connection settings as the trusted base commit has them (`isk plan --base`).

A pull request's plan runs in a job that holds router passwords. Where those passwords
go (host, port, TLS, user, variable: `model.CONNECTION_FIELDS`) must come from the base
branch, which only reviewed merges change, never from the pull request itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from isk_reconcile.errors import IskError
from isk_reconcile.gitops.history import open_repo, repo_prefix
from isk_reconcile.state.layout import ROUTERS_FILE
from isk_reconcile.state.loader import load_routers_text
from isk_reconcile.state.routers import Router


def file_at(repo: Path, ref: str, relative: str) -> bytes | None:
    """The bytes of `relative` (inside the state repository) at commit `ref`, None when
    the commit has no such file; IskError for a revision git does not know."""
    import git  # when used: `isk plan` without --base does not need GitPython

    handle = open_repo(repo)
    try:
        commit = handle.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise IskError(f"unknown git revision {ref!r} (fetch it first?)") from None
    try:
        blob = commit.tree / (repo_prefix(handle, repo) + relative)
    except KeyError:
        return None
    if blob.type != "blob":
        return None
    return blob.data_stream.read()


def routers_at(repo: Path, ref: str) -> Mapping[str, Router]:
    """The routers of state/routers.yaml at `ref` that validate there (none when the
    file is missing: every router is then new)."""
    content = file_at(repo, ref, ROUTERS_FILE)
    if content is None:
        return {}
    return load_routers_text(content, f"{ref}:{ROUTERS_FILE}")


__all__ = ["file_at", "routers_at"]
