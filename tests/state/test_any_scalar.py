"""No scalar anywhere produces an internal error: any value, written unquoted into any
field of any kind of file, either loads or is refused with one-line errors that each
name file:line (hypothesis)."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from isk_reconcile.billing.engine import standings
from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.reconcile.desired import desired_state
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings

BASE = Path(__file__).resolve().parent.parent / "bad_inputs" / "_base"
SENTINEL = "__ANY_SCALAR__"
LOCATED = re.compile(r"^[^\n:]+\.yaml:[1-9][0-9]*:[1-9][0-9]*: [^\n]+$")

TRICKY = [
    "2026-02-30",
    "2026-13-01",
    "2026-11-31",
    "2026-01-01 25:00:00",
    "2026-01-01T10:00:00Z",
    "0001-01-01",
    "9999-12-31",
    "1" * 5000,
    "-1",
    "0",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:30:00",
    "1e999",
    "-.inf",
    ".nan",
    "3.5",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "True",
    "10.0.0.300",
    "999.1.1.1",
    "127.0.0.1; rm -rf /",
    "evil;x",
    "::1",
    "fe80::1%eth0",
    "AA:BB:CC:DD:EE:FF",
    "aa:bb:cc:dd:ee",
    "P-2026-11-0005",
    "p-2026-11-0005",
    "\u0420-2026-11-0005",
    '"P-2026-11-\\u200b0005"',
    "P-2026-11-" + "9" * 20,
    "１５０００",
    "١٥٠٠٠",
    "1" + "0" * 25,
    "!!binary AAAA",
    "!!python/object:os.system",
    "!!str 5",
    "!custom x",
    "&anchor x",
    "*alias",
    "[1, 2]",
    "{a: 1}",
    "[]",
    "{}",
    "''",
    '"\\x00"',
    '"line\\nbreak"',
    '"\\e[31mred"',
    "|",
    ">",
    "- x",
    "? x",
    "%",
    "@x",
    "`x",
    "a: b",
    "#",
    "'unterminated",
    '"unterminated',
    "home-10m",
    "core",
    "budi",
    "isolir",
    "active",
    "terminated",
    "free",
    "monthly",
    "30d",
    "prepaid",
    "postpaid",
    "isolate",
    "Asia/Jakarta",
    "Mars/Olympus",
    "age:AAAA",
    "x" * 300,
]
SCALARS = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers().map(str),
    st.dates().map(date.isoformat),
)


def _fields(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """Every field of a model, nested models followed (billing.cycle, pppoe.username)."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        key = info.alias or name
        paths.append((key,))
        nested = [
            arg
            for arg in getattr(info.annotation, "__args__", (info.annotation,))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        for inner in nested[:1]:
            if inner.__name__ not in ("Dated",) and not inner.__name__.startswith("Dated"):
                paths += [(key, *rest) for rest in _fields(inner)]
    return paths


TARGETS: list[tuple[str, tuple[str | int, ...]]] = (
    [("state/settings.yaml", path) for path in _fields(Settings)]
    + [("state/routers.yaml", ("core", *path)) for path in _fields(Router, frozenset({"name"}))]
    + [("state/profiles/home-10m.yaml", path) for path in _fields(Profile, frozenset({"name"}))]
    + [("state/customers/budi.yaml", path) for path in _fields(Customer, frozenset({"id"}))]
    + [("payments/2026-01.yaml", (0, *path)) for path in _fields(LedgerEntry)]
    + [
        ("state/profiles/home-10m.yaml", ("price", 0, "from")),
        ("state/customers/budi.yaml", ("profile", 0, "value")),
    ]
)


def _put(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(document) if isinstance(document, list) else []
        while len(items) <= head:
            items.append({})
        items[head] = _put(items[head], rest, value)
        return items
    mapping = dict(document) if isinstance(document, dict) else {}
    if isinstance(rest[:1] and rest[0], int) and not isinstance(mapping.get(head), list):
        mapping[head] = [{"from": "2026-01-15", "value": mapping.get(head)}]
    mapping[head] = _put(mapping.get(head), rest, value)
    return mapping


def _write(repo: Path, relative: str, path: tuple[str | int, ...], raw: str) -> None:
    target = repo / relative
    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    text = yaml.safe_dump(_put(document, path, SENTINEL), sort_keys=False, width=10_000)
    target.write_text(text.replace(SENTINEL, raw), encoding="utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), raw=SCALARS)
def test_any_scalar_in_any_field_loads_or_is_a_located_one_line_error(
    target: tuple[str, tuple[str | int, ...]], raw: str
) -> None:
    relative, path = target
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "repo"
        shutil.copytree(BASE, repo, ignore=shutil.ignore_patterns(".isk-cache", "README.md"))
        _write(repo, relative, path, raw)
        try:
            state = load_state(repo, cache=False)
        except ValidationFailed as failed:
            assert failed.errors
            for error in failed.errors:
                assert LOCATED.match(str(error)), str(error)
            return
        except IskError as problem:  # a refusal the loader words itself: still one line
            assert "\n" not in str(problem)
            return
        # What loads must also bill and plan without an internal error.
        now = standings(state, date(2026, 11, 29))
        passwords = {customer_id: "pw" for customer_id in state.customers}
        for router in state.routers:
            desired_state(state, now, router, passwords)


def test_the_targets_cover_every_file_kind() -> None:
    files = {relative for relative, _ in TARGETS}
    assert len(files) == 5 and len(TARGETS) > 60
