"""The messages the code asks the catalog for, found by reading the source (an AST scan
of `_("...")`, `tr.message("...")`, table columns and the dashboard template), so a test
can check that each has an Indonesian translation."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT / "isk_reconcile"
# Where people-facing text is rendered: the CLI and the renderers.
SCANNED = ("cli", "render")
TEMPLATE = PACKAGE / "render" / "templates" / "dashboard.html.j2"


def _literals(node: ast.AST) -> Iterator[str]:
    """A string constant, or both sides of `"a" if x else "b"`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def msgids_in(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = _called(node)
        if name in ("_", "message") or name == "Column" and path.name == "xlsx.py":
            found.update(_literals(node.args[0]))
        elif (
            name == "Column" or name == "money" and node.args
        ):  # a table header: its title, else its name
            header = node.args[1] if len(node.args) > 1 else node.args[0]
            found.update(_literals(header))
        elif name == "_table" and path.name == "status_text.py":
            for argument in node.args[1:]:
                found.update(_literals(argument))
                if isinstance(argument, ast.Tuple | ast.List):
                    for item in argument.elts:
                        found.update(_literals(item))
    return found


def code_msgids() -> set[str]:
    """Every literal message of cli/ and render/ (Python) and of the dashboard template."""
    found: set[str] = set()
    for package in SCANNED:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            found |= msgids_in(path)
    found |= set(re.findall(r'_\("([^"]+)"', TEMPLATE.read_text(encoding="utf-8")))
    return found


def help_msgids() -> dict[str, str]:
    """Every help text of the `isk` command line as click shows it (msgid -> where): each
    command's and group's help and short help, each option's and argument's help, found by
    walking the loaded command tree (what `--help` renders, however it was declared)."""
    import click

    from isk_reconcile.cli import load_all_commands
    from isk_reconcile.cli.helptext import help_source
    from isk_reconcile.cli.root import main

    load_all_commands()
    found: dict[str, str] = {}

    def walk(command, path: str) -> None:
        if command.help:
            found.setdefault(help_source(command), path)
        if command.short_help:
            found.setdefault(command.short_help, path)
        for param in command.params:
            if getattr(param, "help", None) and not getattr(param, "hidden", False):
                found.setdefault(param.help, f"{path} {param.opts[0]}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(main, "isk")
    # click's own --help (made per command when help is shown: a throwaway command's, so
    # that click does not cache one made here, without `-h`, on a real command)
    probe = click.Command("probe")
    for param in probe.get_params(click.Context(probe)):
        found.setdefault(param.help, "isk ... --help")  # type: ignore[attr-defined]
    return found
