"""Print queries: every word form and the ?# stack operations."""

from __future__ import annotations

import pytest

from isk_reconcile.sim.errors import Trap
from isk_reconcile.sim.query import compile_query, equality_lookup, matches

BUDI = {".id": "*1", "name": "budi", "profile": "home", "disabled": "false", "limit": "5"}
SITI = {".id": "*A", "name": "siti", "profile": "isolir", "disabled": "true"}


def selected(*words: str) -> list[str]:
    steps = compile_query(words)
    return [item["name"] for item in (BUDI, SITI) if matches(steps, item)]


def test_no_query_selects_everything() -> None:
    assert selected() == ["budi", "siti"]


def test_equality_in_both_spellings() -> None:
    assert selected("?name=budi") == ["budi"]
    assert selected("?=name=siti") == ["siti"]


def test_booleans_compare_by_value_not_spelling() -> None:
    assert selected("?disabled=yes") == ["siti"]
    assert selected("?=disabled=no") == ["budi"]


def test_ids_compare_as_numbers() -> None:
    assert selected("?.id=*a") == ["siti"]
    assert selected("?.id=*01") == ["budi"]


def test_has_and_has_not() -> None:
    assert selected("?limit") == ["budi"]
    assert selected("?-limit") == ["siti"]


def test_less_and_greater() -> None:
    assert selected("?<.id=*5") == ["budi"]
    assert selected("?>.id=*5") == ["siti"]
    assert selected("?>name=c") == ["siti"]


def test_stack_or_and_not() -> None:
    assert selected("?name=budi", "?name=siti", "?#|") == ["budi", "siti"]
    assert selected("?name=budi", "?#!") == ["siti"]
    assert selected("?profile=home", "?disabled=false", "?#&") == ["budi"]
    # librouteros' Key != x sends "?=k=x" then "?#!"; routeros-api's Nand sends "?#&!".
    assert selected("?name=budi", "?disabled=false", "?#&!") == ["siti"]


def test_several_values_left_on_the_stack_must_all_hold() -> None:
    assert selected("?profile=home", "?disabled=true") == []


def test_index_picks_and_dot_duplicates() -> None:
    # stack [is-budi, is-siti]; "1" pushes a copy of is-budi, "|" ors it with is-siti,
    # leaving [is-budi, is-siti or is-budi]: only budi has both true.
    assert selected("?name=budi", "?name=siti", "?#1|") == ["budi"]
    # a trailing index replaces the whole stack with that value
    assert selected("?name=budi", "?name=nobody", "?#1") == ["budi"]
    assert selected("?name=budi", "?#.&") == ["budi"]


def test_malformed_operations_trap() -> None:
    with pytest.raises(Trap):
        selected("?#&")
    with pytest.raises(Trap):
        selected("?name=budi", "?#x")


def test_single_equality_is_recognised_for_index_lookup() -> None:
    assert equality_lookup(("?name=budi",)) == ("name", "budi")
    assert equality_lookup(("?=name=budi",)) == ("name", "budi")
    assert equality_lookup(("?-name",)) is None
    assert equality_lookup(("?name=a", "?name=b", "?#|")) is None
