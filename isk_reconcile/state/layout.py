"""Where a state repository keeps what (SPEC §2), relative to its root."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

SETTINGS_FILE = "state/settings.yaml"
ROUTERS_FILE = "state/routers.yaml"
PROFILES_DIR = "state/profiles"
CUSTOMERS_DIR = "state/customers"
PAYMENTS_DIR = "payments"


def directory_files(repo: Path, directory: str, recursive: bool) -> Iterator[tuple[str, bool]]:
    """(path relative to `repo`, is a file or a link) of every entry of `directory`; with
    os.scandir where not recursive (10,000 customer files: pathlib costs more than
    reading them), Path.glob("**/*") where recursive."""
    base = repo / directory
    if recursive:
        for path in base.glob("**/*"):
            yield path.relative_to(repo).as_posix(), path.is_file() or path.is_symlink()
        return
    with os.scandir(base) as entries:
        for entry in entries:
            yield f"{directory}/{entry.name}", _is_file(entry) or entry.is_symlink()


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a link looping to itself: as Path.is_file
        return False
