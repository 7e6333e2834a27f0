"""The installed `isk` executable run as a separate process (no terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ISK = Path(sys.executable).parent / "isk"


def isk(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `isk` executable, without a terminal."""
    environ = {key: value for key, value in os.environ.items() if key != "ISK_REPO"}
    environ.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [str(ISK), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def for_the_fixed_day(args: tuple[str, ...]) -> tuple[str, ...]:
    """`isk apply` for the tests' fixed as-of date (not today) needs --force; a test that
    passes its own --as-of (today) checks the refusals itself."""
    command = [arg for arg in args if not arg.startswith("-")][:1]
    if command == ["apply"] and "--force" not in args and "--as-of" not in args:
        return (*args, "--force")
    return args
