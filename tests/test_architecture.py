"""The layout stays true: imports between packages point one way (docs/architecture.md).

cli -> render -> reconcile / gitops -> billing / routeros -> state -> errors, collector,
forking, untrusted, lazy;
sim stands alone (the command line starts it). A capability package (gateway/, notify/,
radius/, ...) sits just below cli: it may use everything below cli, and nothing below it
may use it. No test module imports another (shared code lives in tests/helpers,
conftest modules or other modules not named test_*).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / "isk_reconcile"
# Leaf modules every layer may use: error types, the gc pause, the forked helper, the
# untrusted-text policy, the lazily made tuple.
BASE = frozenset({"errors", "collector", "forking", "untrusted", "lazy"})

# package -> the packages it may import (besides itself and isk_reconcile/__init__)
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset({"untrusted"}),  # messages quote values through untrusted.one_line
    "collector": frozenset(),
    "forking": frozenset(),
    "untrusted": frozenset(),
    "lazy": frozenset(),
    "state": BASE,
    "billing": BASE | {"state"},
    "routeros": BASE | {"state"},
    "reconcile": BASE | {"state", "billing", "routeros"},
    "gitops": BASE | {"state", "billing", "routeros"},
    "render": BASE | {"state", "billing", "reconcile"},
    "sim": frozenset({"errors"}),
}
TOP = frozenset({"cli", "__main__"})
# what a package not in ALLOWED (a new capability) may import: everything below cli
CAPABILITY = BASE | {"state", "billing", "routeros", "reconcile", "gitops", "render"}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the isk_reconcile modules `path` imports (relative imports resolved)."""
    module_parts = path.relative_to(PROJECT).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # a module's own name (or __init__) is the last part: level 1 drops it
                base = module_parts[: len(module_parts) - node.level]
                target = ".".join(base + ((node.module,) if node.module else ()))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "isk_reconcile"}


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__init__" else None


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_the_layers_the_rule_names() -> None:
    present = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in sources()}
    assert set(ALLOWED) | TOP <= present | {"__main__"}


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PROJECT)))
def test_imports_point_down(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if own in TOP or own == "__init__":
        return
    may = ALLOWED.get(own, CAPABILITY)
    upward = sorted(
        module
        for module in imported_modules(path)
        if (target := package_of(module)) is not None and target != own and target not in may
    )
    assert not upward, f"{path.relative_to(PROJECT)} imports upward or sideways: {upward}"


def test_nothing_but_the_command_line_imports_the_command_line() -> None:
    offenders = [
        str(path.relative_to(PROJECT))
        for path in sources()
        if path.relative_to(PACKAGE).parts[0].removesuffix(".py") not in TOP
        and any(package_of(m) == "cli" for m in imported_modules(path))
    ]
    assert not offenders


def test_no_test_module_imports_another() -> None:
    offenders = []
    for path in sorted((PROJECT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.relative_to(PROJECT)}: {name}"
                for name in names
                if name.startswith("tests") and name.split(".")[-1].startswith("test_")
            ]
    assert not offenders


# --- sizes (docs/architecture.md, "Sizes") --------------------------------------------------

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60  # from the `def` line to the last line of the body
# A longer function says why in a comment containing this, in its body or on the lines
# just above its `def` (decorators included).
LONG_MARKER = "long because"
# (module, function) pairs exempt for now, each with its reason (none today).
LONG_ALLOWED: frozenset[tuple[str, str]] = frozenset()


def _comments(lines: list[str]) -> str:
    return "\n".join(line.split("#", 1)[1] for line in lines if "#" in line)


def long_functions(path: Path) -> list[tuple[str, int]]:
    """(name, lines) of the functions of `path` over the limit that do not say why."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        said = _comments(lines[max(0, first - 4) : node.end_lineno])
        if LONG_MARKER not in said:
            found.append((node.name, length))
    return found


def test_modules_stay_small() -> None:
    too_long = {
        str(path.relative_to(PROJECT)): count
        for path in sources()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split by concept): {too_long}"


def test_long_functions_say_why() -> None:
    unexplained = [
        f"{module}:{name} ({length} lines)"
        for path in sources()
        for name, length in long_functions(path)
        if ((module := str(path.relative_to(PROJECT))), name) not in LONG_ALLOWED
    ]
    assert not unexplained, (
        f"functions over {MAX_FUNCTION_LINES} lines: split them along their sections, or "
        f"say why in a comment containing {LONG_MARKER!r}: {unexplained}"
    )


def test_the_size_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_FUNCTION_LINES))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def f():\n{body}")
    said = tmp_path / "said.py"
    said.write_text(f"# {LONG_MARKER} it is a table\ndef f():\n{body}")
    short = tmp_path / "short.py"
    short.write_text("def f():\n" + body.split("\n", 1)[1])
    assert long_functions(plain) == [("f", MAX_FUNCTION_LINES + 1)]
    assert long_functions(said) == []
    assert long_functions(short) == []
