"""The fast readers of state.ledgertext (payments files, customer files) give exactly
what parse_yaml gives, or decline and let parse_yaml decide; and they do take the files
isk and people write."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.state import policy
from isk_reconcile.state.ledgertext import (
    parse_ledger,
    parse_mapping,
    read_plain_ledger,
    read_plain_mapping,
)
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.parsecache import encode_entry
from isk_reconcile.state.yamlsource import parse_yaml
from tests.helpers.generated import generate_isp

PROJECT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 29)


def typed(value: Any) -> Any:
    """`value` with every scalar's type beside it (1, 1.0 and True are == in Python)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


# --- the property: fast == parse_yaml ------------------------------------------------------

KEYS = ["id", "customer", "amount", "date", "kind", "method", "reference", "note", "yes",
        "null", "On", "x_1", "Reason", "_k", "a b", "'q'", "1", "é"]  # fmt: skip
AWKWARD = [
    "150000", "-5000", "+62812", "0812345", "0", "007", "1e3", "1.5e3", "0o17", "0x1F",
    "0b101", "1_000", "1:30", "3.5", ".5", ".inf", "-.inf", ".nan", "2026-11-01",
    "2026-02-30", "2026-13-01", "2026-1-5", "2026-11-01 10:00:00", "2026-11-01T10:00:00Z",
    "yes", "No", "on", "OFF", "true", "y", "n", "~", "null", "Null", "", "=", "<<",
    "payment", "P-2026-11-00001", "TRX93462832", "BRI 0112-00", "bayar 12 bulan (Des - Nov)",
    "a: b", "a:b", "a:", "a #b", "a#b", "#c", "- x", "-x", "[1, 2]", "{a: 1}", "&x a", "*x",
    "!!str 5", "!x y", "|", ">", "%x", "@x", "`x", "?x", "? x", "'q'", "'it''s'", "''",
    '"cicilan 1"', '"a\\tb"', '"a\\"b"', '""', '"5"', '"2026-11-01"', '"yes"', "'0812'",
    "Sérgio Ñandú", "İstanbul", "x\u202ey", "a\tb", "a\u00a0b", "a\u2028b", "x ", "x  ",
    "naïve café", "日本", "٣", "²", "ǅ", "a\\b", 'a"b', "a'b", "a,b", "x]", "v{",
]  # fmt: skip
SPACES = [" ", " ", " ", "  ", "   "]
LINES = ["", "# a comment", "  # indented comment", "   ", "#", "---", "...", "%YAML 1.1",
         "  ", "-", "- ", "\t", "  - id: x", "   extra: 1", " id: 2", "-  id: z",
         "  continued", "key: top", "\r", "\ufeff# bom"]  # fmt: skip


@st.composite
def values(draw: st.DrawFn) -> str:
    """Mostly values the fast reader takes (so that many texts are taken), else anything."""
    if draw(st.integers(0, 5)) == 0:
        return draw(
            st.sampled_from(AWKWARD)
            | st.text(st.sampled_from("aZ09 -.:#'\"_é/()+"), min_size=1, max_size=8)
        )
    return draw(
        st.sampled_from(AWKWARD[:30])
        | st.integers(-10, 10**6).map(str)
        | st.dates(date(1990, 1, 1), date(2040, 1, 1)).map(str)
        | st.from_regex(r"[A-Za-zé][A-Za-z0-9 é./()-]{0,10}[a-z0-9]", fullmatch=True)
        | st.from_regex(r'"[^"\\\n\t\r\x00-\x1f]{0,8}"', fullmatch=True)
    )


@st.composite
def fields(draw: st.DrawFn, key: str) -> str:
    comment = draw(st.sampled_from(["", "", "", "", " # c", "  #c"]))
    return f"{key}:{draw(st.sampled_from(SPACES))}{draw(values())}{comment}"


@st.composite
def ledger_texts(draw: st.DrawFn) -> str:
    lines: list[str] = draw(st.lists(st.sampled_from(LINES[:4]), max_size=2))
    for _ in range(draw(st.integers(0, 5))):
        keys = draw(st.lists(st.sampled_from(KEYS[:8]), min_size=1, max_size=6, unique=True))
        if draw(st.integers(0, 9)) == 0:  # a duplicate, or a key YAML may not read as text
            keys.insert(draw(st.integers(0, len(keys))), draw(st.sampled_from(KEYS)))
        first, *rest = (draw(fields(key)) for key in keys)
        lines.append(f"- {first}")
        for field in rest:
            lines.append(f"  {field}")
            if draw(st.integers(0, 19)) == 0:
                lines.append(draw(st.sampled_from(LINES)))
    end = draw(st.sampled_from(["\n", "\n", "", "\n\n", "\n# end\n"]))
    return "\n".join(lines) + end


# The plain shape, only: every such text is taken (the reader is not merely declining).
PLAIN_VALUES = st.one_of(
    st.integers(1, 10**7).map(str),
    st.dates(date(2000, 1, 1), date(2039, 12, 31)).map(str),
    st.from_regex(r"[A-Z][A-Za-z0-9-]{0,12}", fullmatch=True),
    st.from_regex(r'"[a-z0-9 :#-]{0,12}"', fullmatch=True),
    st.sampled_from(["payment", "cash", "Sérgio Ñandú", "BRI 0112-00", "a #comment"]),
)


def assert_read_as_parse_yaml(
    content: bytes, fast_reader: Callable, reader: Callable, label: str
) -> bool:
    """What `fast_reader` (and `reader`, which uses it) make of `content` is
    parse_yaml's; True when the fast reader took it."""
    fast = fast_reader(content)
    slow = parse_yaml(content, label)
    through = reader(content, label)
    assert typed(through.data) == typed(slow.data)
    assert (through.errors, through.item_lines) == (slow.errors, slow.item_lines)
    if fast is None:
        return False
    data, item_lines, dates = fast
    assert typed(data) == typed(slow.data)
    assert item_lines == slow.item_lines
    assert slow.errors == ()
    assert policy.text_errors(slow) == []  # why the loader need not look again
    assert through.no_controls
    assert sorted(dates) == sorted(encode_entry((slow.data, (), ()))[1])  # the cache's
    return True


def assert_same_as_parse_yaml(content: bytes) -> bool:
    """A payments file: the fast ledger reader against parse_yaml."""
    return assert_read_as_parse_yaml(content, read_plain_ledger, parse_ledger, "payments/p.yaml")


@given(ledger_texts())
def test_the_fast_reader_gives_what_parse_yaml_gives(text: str) -> None:
    assert_same_as_parse_yaml(text.encode("utf-8"))


@st.composite
def mapping_texts(draw: st.DrawFn) -> str:
    """A customer-like file: `key: value` lines, `key:` lines with a nested mapping."""
    lines: list[str] = draw(st.lists(st.sampled_from(LINES[:4]), max_size=2))
    keys = draw(st.lists(st.sampled_from(KEYS[:8]), min_size=1, max_size=7, unique=True))
    if draw(st.integers(0, 9)) == 0:
        keys.insert(draw(st.integers(0, len(keys))), draw(st.sampled_from(KEYS)))
    for key in keys:
        if draw(st.integers(0, 3)) == 0:  # a nested mapping
            lines.append(f"{key}:" + draw(st.sampled_from(["", "", "", " ", " # c"])))
            inner = draw(st.lists(st.sampled_from(KEYS[:8]), max_size=3, unique=True))
            if draw(st.integers(0, 9)) == 0:
                inner.append(draw(st.sampled_from(KEYS)))
            for nested in inner:
                indent = draw(st.sampled_from(["  ", "  ", "  ", "   ", "    "]))
                lines.append(indent + draw(fields(nested)))
        else:
            lines.append(draw(fields(key)))
        if draw(st.integers(0, 14)) == 0:
            lines.append(draw(st.sampled_from([*LINES, "- x", "  - x", "key: [1]"])))
    end = draw(st.sampled_from(["\n", "\n", "", "\n\n", "\n# end\n"]))
    return "\n".join(lines) + end


def assert_mapping_as_parse_yaml(content: bytes) -> bool:
    """A one-mapping file (a customer's): the fast mapping reader against parse_yaml."""
    return assert_read_as_parse_yaml(
        content, read_plain_mapping, parse_mapping, "state/customers/c.yaml"
    )


@given(mapping_texts())
def test_the_fast_mapping_reader_gives_what_parse_yaml_gives(text: str) -> None:
    assert_mapping_as_parse_yaml(text.encode("utf-8"))


@given(st.dictionaries(st.sampled_from(KEYS[:8]), PLAIN_VALUES, min_size=1))
def test_a_mapping_of_the_plain_shape_is_read_the_fast_way(mapping: dict[str, str]) -> None:
    lines = [f"{key}: {value}" for key, value in mapping.items()]
    nested = "\n".join(f"  {key}: {value}" for key, value in reversed(mapping.items()))
    text = "# customer\n" + "\n".join(lines) + f"\npppoe:\n{nested}\nend: 1\n"
    assert assert_mapping_as_parse_yaml(text.encode("utf-8"))
    data, item_lines, _ = read_plain_mapping(text.encode("utf-8")) or ({}, (), [])
    assert list(data["pppoe"]) == list(reversed(mapping))
    assert item_lines == (*range(2, len(lines) + 2), len(lines) + 3, len(lines) * 2 + 3)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a: 1\na: 2\n", "a duplicate key"),
        ("pppoe:\n  a: 1\n  a: 2\n", "a duplicate nested key"),
        ("pppoe:\n  a: 1\npppoe:\n  b: 1\n", "a duplicate mapping key"),
        ("pppoe:\nb: 1\n", "a key without a value (null)"),
        ("b: 1\npppoe:\n", "a key without a value at the end"),
        ("pppoe:\n  a:\n    b: 1\n", "two levels"),
        ("pppoe:\n   a: 1\n", "another indentation"),
        ("  a: 1\n", "an indented mapping"),
        ("a: b:\n", "not a key"),
        ("a: 1\n  b: 2\n", "a continued scalar"),
        ("profile:\n  - from: 2026-01-01\n    value: x\n", "a list"),
        ("- a: 1\n", "a list of mappings"),
        ("null:\n  a: 1\n", "a key YAML reads as null"),
        ("a: 1\n...\n", "a document end marker"),
    ],
)
def test_any_other_mapping_is_left_to_parse_yaml(text: str, why: str) -> None:
    assert read_plain_mapping(text.encode("utf-8")) is None, why
    assert_mapping_as_parse_yaml(text.encode("utf-8"))


@given(st.binary(max_size=60) | ledger_texts().map(lambda text: text.encode("utf-16")))
def test_bytes_that_are_not_utf8_text_are_parse_yamls(content: bytes) -> None:
    assert_same_as_parse_yaml(content)


@st.composite
def plain_ledgers(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    entries = draw(
        st.lists(
            st.dictionaries(st.sampled_from(KEYS[:8]), PLAIN_VALUES, min_size=1, max_size=8),
            min_size=1,
            max_size=5,
        )
    )
    lines = ["# ledger", ""]
    for entry in entries:
        for index, (key, value) in enumerate(entry.items()):
            lines.append(("- " if index == 0 else "  ") + f"{key}: {value}")
    return "\n".join(lines) + "\n", entries


@given(plain_ledgers())
def test_a_ledger_of_the_plain_shape_is_read_the_fast_way(drawn: tuple[str, list]) -> None:
    text, entries = drawn
    assert assert_same_as_parse_yaml(text.encode("utf-8"))
    data, item_lines, _ = read_plain_ledger(text.encode("utf-8")) or ([], (), [])
    assert len(data) == len(entries) and item_lines[0] == 3


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("- id: a\n  id: b\n", "a duplicate key"),
        ("- id: 0812\n", "a leading zero YAML 1.2 tools drop"),
        ("- amount: 1e3\n", "a number in YAML 1.2"),
        ("- date: 2026-02-30\n", "no such day"),
        ("- note: a\u202eb\n", "a bidi control"),
        ("- note: a\tb\n", "a tab"),
        ("- id: a\r\n", "a carriage return"),
        ("- yes: 1\n", "a key YAML reads as a boolean"),
        ("- note: !!str 5\n", "a tag"),
        ('- note: "a\\nb"\n', "an escape"),
        ("- note: a\n    b\n", "a continued scalar"),
        ("- reference:\n", "an empty value"),
        ("id: a\n", "not a list"),
        ("# only a comment\n", "no entry"),
    ],
)
def test_anything_else_is_left_to_parse_yaml(text: str, why: str) -> None:
    assert read_plain_ledger(text.encode("utf-8")) is None, why
    assert_same_as_parse_yaml(text.encode("utf-8"))


def test_values_are_typed_as_yaml_11_types_them() -> None:
    text = "- a: 150000\n  b: 2026-11-01\n  c: 2026-11-01 10:00:00\n  d: yes\n  e: '7'\n  f: 1.5\n"
    data, lines, dates = read_plain_ledger(text.encode()) or ([{}], (), [])
    assert data == [
        {"a": 150000, "b": date(2026, 11, 1), "c": datetime(2026, 11, 1, 10), "d": True,
         "e": "7", "f": 1.5}
    ]  # fmt: skip
    assert lines == (1,)
    assert dates == [["d", 0, "b"], ["t", 0, "c"]]


# --- the ledgers isk writes and people keep -----------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_isp(tmp_path_factory.mktemp("generated"), 300, 3, 6, AS_OF)


def test_the_generated_and_example_ledgers_are_read_the_fast_way(generated: Path) -> None:
    files = [*sorted((generated / "payments").glob("*.yaml"))]
    files += sorted((PROJECT / "payments").glob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        assert assert_same_as_parse_yaml(path.read_bytes()), path


def test_the_generated_and_example_customers_are_read_the_fast_way(generated: Path) -> None:
    generated_files = sorted((generated / "state" / "customers").glob("*.yaml"))
    assert len(generated_files) == 300
    for path in generated_files:
        assert assert_mapping_as_parse_yaml(path.read_bytes()), path
    # The example's customers with a list of profile or price changes are parse_yaml's.
    example = sorted((PROJECT / "state" / "customers").glob("*.yaml"))
    taken = [path.name for path in example if assert_mapping_as_parse_yaml(path.read_bytes())]
    assert len(taken) >= len(example) - 3


def _slow_copy(repo: Path, to: Path) -> Path:
    """`repo` with a document end marker closing each payments and customer file: the same
    data on the same lines for YAML, a line of another shape for the fast readers (so
    parse_yaml reads them)."""
    for top in ("state", "payments"):
        shutil.copytree(repo / top, to / top)
    for path in (to / "payments").glob("*.yaml"):
        path.write_bytes(path.read_bytes() + b"...\n")
        assert read_plain_ledger(path.read_bytes()) is None
    for path in (to / "state" / "customers").glob("*.yaml"):
        path.write_bytes(path.read_bytes() + b"...\n")
        assert read_plain_mapping(path.read_bytes()) is None
    return to


@pytest.mark.parametrize("which", ["example", "generated"])
def test_a_cold_load_gives_the_state_parse_yaml_gives(
    which: str, generated: Path, example_repo: Path, tmp_path: Path
) -> None:
    repo = example_repo if which == "example" else generated
    by_parse_yaml = load_state(_slow_copy(repo, tmp_path / "slow"), cache=False)
    for cold in (load_state(repo, cache=False), load_state(repo)):  # no caches; empty ones
        assert cold == by_parse_yaml
        assert dict(cold.locations) == dict(by_parse_yaml.locations)
        assert cold.warnings == by_parse_yaml.warnings
