"""state/edits: in-place YAML edits change only the value they are about."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from isk_reconcile.state import edits
from isk_reconcile.state.writer import yaml_scalar

ODD = """\
# Customer budi — written by hand, with odd quoting and comments everywhere.
name: 'Budi   Santoso'   # single-quoted, inner spaces
phone: "+62 812"         # double-quoted
address: >-
  Jl. Mawar 12,
  RT 02/RW 05
router: core-kudus
start: 2026-01-05
profile: "home-10m"      # the package
# status stays active
status: active
pppoe: {username: budi, password: 'age:AAAA'}   # flow mapping
notes: |
  ODP-05 port 1
  ring twice
"""


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Line pairs that differ (same number of lines expected)."""
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_replacing_a_value_keeps_every_other_byte() -> None:
    text = edits.set_scalar(ODD, ("status",), "suspended")
    assert _changed_lines(ODD, text) == [("status: active", "status: suspended")]


def test_nested_flow_password_is_replaced_in_place() -> None:
    text = edits.set_password(ODD, "age:BBBB")
    assert text.replace('"age:BBBB"', "'age:AAAA'") == ODD
    assert yaml.safe_load(text)["pppoe"] == {"username": "budi", "password": "age:BBBB"}


def test_inserted_key_goes_after_its_neighbour() -> None:
    text = edits.suspend(ODD, "no payment: 3 months")
    lines = text.splitlines()
    at = lines.index("status: suspended")
    assert lines[at + 1] == 'suspend_reason: "no payment: 3 months"'
    rest = [*lines[:at], "status: active", *lines[at + 2 :]]
    assert "\n".join(rest) + "\n" == ODD


def test_resume_removes_the_reason_line_only() -> None:
    suspended = edits.suspend(ODD, "by hand")
    assert edits.resume(suspended) == ODD


def test_block_scalar_replaced_by_a_plain_one() -> None:
    text = edits.set_scalar(ODD, ("notes",), "ODP-06")
    assert text == ODD[: ODD.index("notes: |")] + "notes: ODP-06\n"


def test_plain_profile_becomes_a_dated_list_keeping_the_old_spelling() -> None:
    text = edits.add_dated(ODD, "profile", date(2026, 1, 5), date(2026, 3, 5), "home-20m")
    (pair,) = _changed_lines(ODD, text)
    assert pair[1] == (
        'profile: [{from: 2026-01-05, value: "home-10m"}, {from: 2026-03-05, value: home-20m}]'
        "      # the package"
    )
    again = edits.add_dated(text, "profile", date(2026, 1, 5), date(2026, 4, 5), "home-50m")
    assert yaml.safe_load(again)["profile"][-1] == {"from": date(2026, 4, 5), "value": "home-50m"}


def test_block_dated_list_gets_a_new_item_at_its_indent() -> None:
    text = (
        "name: x\nprofile:\n    - from: 2026-01-05\n      value: home-10m  # first\n"
        "status: active\n"
    )
    after = edits.add_dated(text, "profile", date(2026, 1, 5), date(2026, 2, 5), "home-20m")
    assert after == text.replace("status:", "    - {from: 2026-02-05, value: home-20m}\nstatus:")


def test_holds_list_created_then_kept_in_order() -> None:
    one = edits.add_hold(ODD, {"from": date(2026, 3, 1), "reason": "abroad"}, None)
    assert "status: active\nholds:\n  - {from: 2026-03-01, reason: abroad}\npppoe:" in one
    two = edits.add_hold(
        one, {"from": date(2026, 2, 1), "until": date(2026, 2, 9), "reason": "x"}, 0
    )
    holds = yaml.safe_load(two)["holds"]
    assert [hold["from"] for hold in holds] == [date(2026, 2, 1), date(2026, 3, 1)]


def test_contact_edit_and_removal() -> None:
    text = edits.edit_contact(ODD, "email", "budi@example.id")
    assert 'phone: "+62 812"         # double-quoted\nemail: budi@example.id\n' in text
    removed = edits.edit_contact(text, "phone", "")
    assert "phone" not in yaml.safe_load(removed)
    with pytest.raises(edits.EditError, match="not a contact field"):
        edits.edit_contact(ODD, "router", "x")


def test_crlf_files_stay_crlf() -> None:
    text = ODD.replace("\n", "\r\n")
    after = edits.terminate(text, date(2026, 5, 1))
    assert "\n" not in after.replace("\r\n", "")
    assert yaml.safe_load(after)["end"] == date(2026, 5, 1)


def test_unparsable_text_is_refused() -> None:
    with pytest.raises(edits.EditError, match="does not parse"):
        edits.set_scalar("a: [1,\n", ("a",), 2)
    with pytest.raises(edits.EditError, match="not a YAML mapping"):
        edits.set_scalar("- 1\n", ("a",), 2)


# --- invariant: setting a key gives that value and leaves every other key alone ---------------

KEYS = st.sampled_from(["name", "phone", "email", "address", "notes", "status", "router", "zz"])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
VALUES = st.one_of(TEXT, st.integers(-(10**9), 10**9), st.booleans(), st.dates())


def _styled(value: object, style: int) -> str:
    """The value spelled in one of several ways a hand-written file may use."""
    if isinstance(value, str) and style == 1:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and style == 2 and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return yaml_scalar(value)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict]:
    data = draw(st.dictionaries(KEYS, VALUES, min_size=1, max_size=6))
    lines = ["# a comment at the top"]
    for key, value in data.items():
        comment = draw(st.sampled_from(["", "  # why", "   #x"]))
        lines.append(f"{key}: {_styled(value, draw(st.integers(0, 2)))}{comment}")
        if draw(st.booleans()):
            lines.append("# a comment line")
    ending = draw(st.sampled_from(["\n", "", "\n\n"]))
    return "\n".join(lines) + ending, data


@settings(max_examples=300, deadline=None)
@given(documents(), KEYS, VALUES)
def test_set_then_read_back(document: tuple[str, dict], key: str, value: object) -> None:
    text, data = document
    assert yaml.safe_load(text) == data  # the generator writes what it means
    after = yaml.safe_load(edits.set_scalar(text, (key,), value))
    assert after == {**data, key: value}


@settings(max_examples=200, deadline=None)
@given(documents(), KEYS)
def test_remove_then_read_back(document: tuple[str, dict], key: str) -> None:
    text, data = document
    if len(data) == 1 and key in data:
        return  # an empty file is not a mapping
    after = yaml.safe_load(edits.remove_key(text, (key,)))
    assert after == {k: v for k, v in data.items() if k != key}
