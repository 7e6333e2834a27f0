"""Error types shared by every layer.

`IskError` is what the CLI turns into one readable line on stderr and exit code 1.
`ConfigError` is one problem in the state repository, located to file:line:column;
`ValidationFailed` carries all of them, because operators fix a repo in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from isk_reconcile.untrusted import one_line


class IskError(Exception):
    """An expected failure, reported without a traceback."""


@dataclass(frozen=True, order=True)
class Loc:
    """Where something is written: file path (relative to the repo), 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True, order=True)
class ConfigError:
    """One problem in the state repository."""

    loc: Loc
    field: str
    message: str
    hint: str = ""
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        text = f"{self.loc}: {self.field}: {self.message}"
        if not self.field:
            text = f"{self.loc}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return one_line(text)


class ValidationFailed(IskError):
    """The repository has one or more errors; all of them are in `errors`."""

    def __init__(self, errors: Iterable[ConfigError]):
        self.errors: tuple[ConfigError, ...] = tuple(sorted(errors))
        count = len(self.errors)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the state repository")


class RouterError(IskError):
    """A router could not be reached, refused a command or did not converge."""

    def __init__(self, router: str, message: str):
        self.router = router
        super().__init__(f"{router}: {message}")
