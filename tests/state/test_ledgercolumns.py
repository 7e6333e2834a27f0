"""The ledger checked as columns (state.ledgercolumns) takes only what LedgerEntry's
pydantic model takes, and holds the values the model would hold; whatever it declines
is validated entry by entry as before (the bad-input corpus holds the messages)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from isk_reconcile.state import ledgercolumns
from isk_reconcile.state.lazyledger import FIELDS, LazyLedger, billing_rows, unbuilt_columns
from isk_reconcile.state.ledger import LedgerEntry, LedgerRow
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.yamlsource import parse_yaml
from tests.helpers.generated import generate_isp

PYDANTIC = TypeAdapter(list[LedgerEntry])
AS_OF = date(2026, 11, 29)

# Values of every kind a YAML file can give, valid for some field or for none.
TEXTS = st.sampled_from(
    ["P-2026-11-00001", "P-1", "X.9_A-B", "p-1", " P-1", "P-1 ", "", " ", "P-2026-11-1234567",
     "P-2026-11-123456", "A" * 40, "A" * 41, "P-1\n", "c00001", "budi", "cash", "transfer",
     "qris", "ewallet", "other", "payment", "credit", "refund", "writeoff", "gift", "Cash",
     "moved away", "  ", "ﬁ naïve", "ｆｕｌｌ", "x\u202ey", "日本", "note"]
)  # fmt: skip
ANY_VALUE = st.one_of(
    TEXTS,
    st.none(),
    st.booleans(),
    st.integers(-2, 10**7),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(date(1960, 1, 1), date(2210, 1, 1)),
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1)),
    st.lists(st.integers(), max_size=1),
    st.dictionaries(st.just("a"), st.integers(), max_size=1),
)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly a valid entry (so that many lists are wholly valid); else one with a value
    of any kind put in, or a key left out."""
    kind = draw(st.sampled_from(["payment", "payment", "credit", "refund", "writeoff"]))
    entry: dict[str, Any] = {
        "id": draw(st.from_regex(r"P-2026-(0[1-9]|1[0-2])-[0-9]{1,8}", fullmatch=True)),
        "customer": draw(st.sampled_from(["c00001", "budi", ""])),
        "amount": draw(st.integers(1, 10**6)),
        "date": draw(st.dates(date(2025, 1, 1), date(2027, 1, 1))),
    }
    if kind != "payment" or draw(st.booleans()):
        entry["kind"] = kind
    if kind in ("payment", "refund"):
        entry["method"] = draw(st.sampled_from(["cash", "qris", "other"]))
    if kind == "writeoff":
        entry["reason"] = draw(st.sampled_from(["moved away", "ﬁ naïve"]))
    for key, value in (("reference", "TRX1"), ("note", "ｃｉｃｉｌａｎ 1")):
        if draw(st.booleans()):
            entry[key] = value
    if draw(st.integers(0, 3)) == 0:  # one change of any kind
        key = draw(st.sampled_from([*FIELDS, "extra"]))
        if draw(st.integers(0, 4)) == 0:
            entry.pop(key, None)
        else:
            entry[key] = draw(ANY_VALUE)
    return entry


def typed(entry: LedgerEntry) -> list[tuple[str, Any]]:
    """An entry's values with their types (True == 1 and a datetime == its date's day)."""
    return [(type(value).__name__, value) for value in entry.__dict__.values()]


def built(columns: ledgercolumns.Columns) -> list[LedgerEntry]:
    build = ledgercolumns.entry_builder()
    return [build(row) for row in zip(*columns, strict=True)]


def assert_as_pydantic(items: list[Any]) -> bool:
    """from_parsed(items) is pydantic's verdict and values; True when it took them."""
    columns = ledgercolumns.from_parsed([dict(item) for item in items])
    try:
        expected = PYDANTIC.validate_python(items)
    except ValidationError:
        assert columns is None, items
        return False
    if columns is None:
        return False
    made = built(columns)
    assert made == expected
    assert [typed(entry) for entry in made] == [typed(entry) for entry in expected]
    assert [e.signed_amount for e in made] == [e.signed_amount for e in expected]
    return True


@given(st.lists(entries(), max_size=4))
def test_the_columns_take_only_what_pydantic_takes_and_hold_its_values(
    items: list[dict[str, Any]],
) -> None:
    assert_as_pydantic(items)


@pytest.mark.parametrize(
    "changed",
    [{"amount": True}, {"amount": 0}, {"amount": 1.0}, {"amount": "5"}, {"id": "p-1"},
     {"id": "P-1 "}, {"id": "P-2026-11-1234567"}, {"date": "2026-11-01"},
     {"date": datetime(2026, 11, 1)}, {"date": date(2200, 1, 1)}, {"kind": "gift"},
     {"method": None}, {"method": "Cash"}, {"reason": "why"}, {"note": 5}, {"customer": 7},
     {"extra": 1}, {"reference": None}, {"kind": ["payment"]}],
)  # fmt: skip
def test_one_wrong_value_sends_the_whole_file_to_pydantic(changed: dict[str, Any]) -> None:
    good = {"id": "P-1", "customer": "c1", "amount": 5, "date": date(2026, 11, 1),
            "method": "cash"}  # fmt: skip
    assert assert_as_pydantic([good, {**good, "id": "P-2"}])
    assert ledgercolumns.from_parsed([good, {**good, "id": "P-2", **changed}]) is None


def test_free_text_is_held_nfkc_normalised_as_pydantic_holds_it() -> None:
    entry = {"id": "P-1", "customer": "c", "amount": 1, "date": date(2026, 1, 1),
             "kind": "writeoff", "reason": "ﬁ ｍｏｖｅｄ", "note": "①"}  # fmt: skip
    assert assert_as_pydantic([entry])
    (made,) = built(ledgercolumns.from_parsed([entry]) or [])
    assert (made.reason, made.note) == ("fi moved", "1")


def test_every_payments_file_of_the_generated_isp_is_taken_as_columns(tmp_path: Path) -> None:
    repo = generate_isp(tmp_path / "isp", 60, 2, 6, AS_OF)
    files = sorted((repo / "payments").glob("*.yaml"))
    assert len(files) == 6
    for path in files:
        parsed = parse_yaml(path.read_bytes(), "payments/x.yaml").data
        assert assert_as_pydantic(parsed), path


def test_stored_columns_read_back_as_they_were(tmp_path: Path) -> None:
    state = load_state(generate_isp(tmp_path / "isp", 30, 2, 3, AS_OF), cache=False)
    columns = unbuilt_columns(state.ledger)  # a cold load builds no entry
    assert columns is not None and len(columns[0]) == len(state.ledger) > 50
    assert ledgercolumns.from_stored(ledgercolumns.stored(columns)) == columns
    assert built(ledgercolumns.columns_of(tuple(state.ledger))) == list(state.ledger)
    with pytest.raises(ValueError):
        ledgercolumns.from_stored(ledgercolumns.stored(columns)[:-1])


def test_billing_rows_hold_the_entries_values_and_leave_the_ledger_unbuilt(tmp_path: Path) -> None:
    state = load_state(generate_isp(tmp_path / "isp", 30, 2, 3, AS_OF), cache=False)
    entries = built(unbuilt_columns(state.ledger) or [])
    rows = list(billing_rows(state.ledger))
    assert unbuilt_columns(state.ledger) is not None  # billing built no entry
    assert [type(row) for row in rows] == [LedgerRow] * len(entries)
    assert [row._asdict() for row in rows] == [dict(entry.__dict__) for entry in entries]
    assert [row.signed_amount for row in rows] == [entry.signed_amount for entry in entries]
    # A ledger of entries (built, or a tuple) is billed on its entries as they are.
    assert billing_rows(tuple(entries)) == tuple(entries)
    ledger = LazyLedger(ledgercolumns.columns_of(entries), ledgercolumns.entry_builder())
    assert list(ledger) == entries and list(billing_rows(ledger)) == entries


def test_a_ledger_row_has_exactly_the_fields_and_signed_amount_of_an_entry() -> None:
    assert LedgerRow._fields == tuple(LedgerEntry.model_fields) == FIELDS
    for kind, method, reason in [("payment", "cash", ""), ("refund", "transfer", ""),
                                 ("credit", None, ""), ("writeoff", None, "moved")]:  # fmt: skip
        values = ("P-1", "budi", 150_000, AS_OF, kind, method, "", "", reason)
        entry = LedgerEntry.model_validate(dict(zip(FIELDS, values, strict=True)))
        assert LedgerRow(*values).signed_amount == entry.signed_amount
