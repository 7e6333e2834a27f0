"""The YAML reader: plain values, positions, the file's own errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.state.yamlsource import YamlPath, format_path, parse_yaml


def test_parse_yaml_types_and_positions() -> None:
    source = parse_yaml(
        b"a: 0123\nb: no\nc: 2026-01-02\nd: '0123'\ne:\n  - x\n  - 12:30\n", "f.yaml"
    )
    assert source.data == {"a": 83, "b": False, "c": date(2026, 1, 2), "d": "0123", "e": ["x", 750]}
    assert source.errors == ()
    assert str(source.loc(("e", 1))) == "f.yaml:7:5"
    assert str(source.loc(("e",), key=True)) == "f.yaml:5:1"
    assert source.raw(("a",)) == "0123" and source.raw(("e", 1)) == "12:30"
    assert source.raw(("d",)) is None  # quoted: a string, nothing to warn about


def test_parse_yaml_rejects_tags_and_non_text_keys() -> None:
    source = parse_yaml(b"a: !!python/object:os.system x\n1: y\n", "f.yaml")
    messages = [str(error) for error in source.errors]
    assert any("f.yaml:1:4: a: unsupported YAML tag" in m for m in messages)
    assert any(m.startswith("f.yaml:2:1: 1: key 1 was read as a number") for m in messages)


def test_format_path() -> None:
    assert format_path(("price", 1, "from")) == "price[1].from"
    assert format_path((3, "amount")) == "[3].amount"
    assert format_path(()) == ""


def test_duplicate_keys_are_errors_and_the_first_is_kept() -> None:
    source = parse_yaml(b"a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yaml")
    assert source.data == {"a": 1, "b": {"c": 1}}
    assert [str(e) for e in source.errors] == [
        "f.yaml:4:3: b.c: duplicate key 'c' (first written on line 3) (remove one of them)",
        "f.yaml:5:1: a: duplicate key 'a' (first written on line 1) (remove one of them)",
    ]


def test_leading_zero_text_is_flagged_but_quoted_is_fine() -> None:
    source = parse_yaml(b"phone: 081234567890\nok: '0812'\n", "f.yaml")
    assert source.data == {"phone": "081234567890", "ok": "0812"}
    assert [e.field for e in source.errors] == ["phone"]
    secret = parse_yaml(b"pppoe: {password: 0899}\n", "f.yaml")
    assert "0899" not in str(secret.errors[0])


def test_empty_and_broken_documents() -> None:
    assert parse_yaml(b"", "f.yaml").data is None
    broken = parse_yaml(b"a: [1,\n", "f.yaml")
    assert broken.data is None and "YAML syntax error" in broken.errors[0].message
    several = parse_yaml(b"a: 1\n---\nb: 2\n", "f.yaml")
    assert several.errors and several.data is None
    aliased = parse_yaml(b"a: &x [1]\nb: *x\n", "f.yaml")
    assert "aliases" in aliased.errors[0].message


def test_item_lines_of_a_ledger() -> None:
    source = parse_yaml(b"# ledger\n- id: a\n  n: 1\n\n- id: b\n", "f.yaml")
    assert source.item_lines == (2, 5)


scalars = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
    st.dates(),
)
keys = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


def paths(value: Any, prefix: YamlPath = ()) -> list[YamlPath]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None)
@given(documents)
def test_same_values_as_pyyaml_and_a_position_for_every_value(document: Any) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    source = parse_yaml(text.encode(), "f.yaml")
    assert source.data == yaml.load(text, Loader=yaml.CSafeLoader)
    for path in paths(document):
        assert path in source.positions.values


def test_numbers_in_yaml_12_are_flagged() -> None:
    text = b"a: 1e3\nb: 0o17\nc: 1.5e3\nd: abc1e3\ne: 1.5e+3\n"
    source = parse_yaml(text, "f.yaml")
    assert source.data == {"a": "1e3", "b": "0o17", "c": "1.5e3", "d": "abc1e3", "e": 1500.0}
    assert [e.field for e in source.errors] == ["a", "b", "c"]
    assert "quote it" in source.errors[0].hint


def test_tabs_get_a_hint() -> None:
    source = parse_yaml(b"a:\n\tb: 1\n", "f.yaml")
    assert source.errors[0].hint == "indent with spaces: YAML does not allow tabs"


def test_explicit_str_tag_forces_text_without_a_trap() -> None:
    # `!!str` is the standard YAML way to force text: no "quote it" for it.
    source = parse_yaml(b"username: !!str 0123\nphone: !!str 0812\nn: !!str 1e3\n", "f.yaml")
    assert source.data == {"username": "0123", "phone": "0812", "n": "1e3"}
    assert source.errors == ()
    tagged_key = parse_yaml(b"!!str 1: x\n", "f.yaml")
    assert tagged_key.data == {"1": "x"} and tagged_key.errors == ()


def test_unsupported_tags_are_shown_as_written() -> None:
    source = parse_yaml(b"a: !!str [x]\nb: !custom y\n", "f.yaml")
    assert [str(e) for e in source.errors] == [
        "f.yaml:1:4: a: unsupported YAML tag !!str",
        "f.yaml:2:4: b: unsupported YAML tag !custom "
        "(only plain YAML values are allowed; to force text, quote it or write !!str)",
    ]


def test_dates_repeated_across_files_are_one_object_also_after_the_parse_cache(tmp_path):
    """Ledger files repeat customer ids, dates and kinds: each is kept once when parsed;
    the parse cache keeps one object per date (the most repeated value) and equal values."""
    from pathlib import Path

    from isk_reconcile.state.yamlsource import ParseCache, read_yaml

    entry = "- {id: P-%d, customer: budi, amount: 1000, date: 2026-11-03, kind: payment}\n"
    for number in (1, 2):
        (tmp_path / f"p{number}.yaml").write_text(entry % number)

    def values(cache: ParseCache) -> list[dict]:
        return [read_yaml(tmp_path, f"p{n}.yaml", cache).data[0] for n in (1, 2)]

    cache = ParseCache(Path(tmp_path))
    first, second = values(cache)
    assert first["customer"] is second["customer"]
    cache.save()
    again = values(ParseCache(Path(tmp_path)))
    assert again == [first, second]
    for one, other in ((first, second), tuple(again)):
        assert one["customer"] == "budi" and one["date"] == date(2026, 11, 3)
        assert one["date"] is other["date"]
        assert one["id"] != other["id"]
