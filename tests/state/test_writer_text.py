"""writer: the text it writes (customer files, ledger appends, YAML scalars), exactly."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from isk_reconcile.errors import IskError
from isk_reconcile.state.writer import (
    NewCustomer,
    NewEntry,
    append_entry,
    customer_document,
    entry_fields,
    entry_text,
    next_entry_id,
    yaml_scalar,
)

ENTRY = {"id": "P-2026-11-0002", "customer": "budi", "amount": 150000, "date": date(2026, 11, 3)}
HEADER = (
    "# Payment ledger for 2026-11: append-only. Once merged, an entry is never edited or\n"
    "# deleted; correct a mistake with a new refund or credit entry (`isk pay --kind`).\n"
)
ENTRY_TEXT = "- id: P-2026-11-0002\n  customer: budi\n  amount: 150000\n  date: 2026-11-03\n"


@pytest.mark.parametrize("value", [True, False, None, 0, 150000, date(2026, 11, 3)])
def test_non_text_scalars_read_back_as_themselves(value: object) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


def test_plain_text_stays_plain_and_other_text_is_quoted_readably() -> None:
    assert yaml_scalar("Budi Santoso") == "Budi Santoso"
    assert yaml_scalar("home-10m") == "home-10m"
    assert yaml_scalar("yes") == '"yes"'  # YAML 1.1 would read a boolean
    assert yaml_scalar("Warung Bu Sri • Jl. Kenanga") == '"Warung Bu Sri • Jl. Kenanga"'


def test_a_customer_file_holds_every_field_given_with_its_comments() -> None:
    new = NewCustomer(
        id="siti",
        name="Siti Aminah",
        router="core-kudus",
        profile="home-10m",
        start=date(2026, 11, 29),
        password="age:c2VjcmV0",
        phone="081234567890",
        email="siti@example.org",
        address="Jl. Mawar 12",
        username="siti.aminah",
        price=125000,
        notes="gate code 4411",
    )
    assert customer_document(new) == (
        "# Customer siti: written by `isk customer add`.\n"
        "# Edit freely; price or profile changes for periods already billed go in as dated\n"
        "# entries, e.g. profile: [{from: 2026-01-15, value: home-10m}, "
        "{from: ..., value: ...}].\n"
        "name: Siti Aminah\n"
        'phone: "081234567890"  # for notifications\n'
        "email: siti@example.org\n"
        "address: Jl. Mawar 12\n"
        "router: core-kudus\n"
        "start: 2026-11-29  # service start: the first billing period starts here\n"
        "profile: home-10m  # the package (state/profiles/home-10m.yaml)\n"
        "price: 125000  # per-customer price in rupiah, instead of the package's\n"
        "status: active  # active | suspended | free | terminated\n"
        "pppoe:\n"
        "  username: siti.aminah\n"
        '  password: "age:c2VjcmV0"  # age-encrypted; `isk customer password`\n'
        "notes: gate code 4411\n"
    )


def test_next_id_counts_six_digit_numbers_but_not_longer_ones() -> None:
    day = date(2026, 11, 30)
    assert next_entry_id(["P-2026-11-000123", "P-2026-11-0007"], day) == "P-2026-11-000124"
    # an over-long number (refused by validation) does not make every later id longer
    assert next_entry_id(["P-2026-11-1234567", "P-2026-11-0007"], day) == "P-2026-11-0008"


def test_an_entry_keeps_its_note_and_reason() -> None:
    entry = NewEntry("budi", 50000, date(2026, 11, 3), kind="writeoff", note="n", reason="r")
    fields = entry_fields("P-2026-11-0002", entry)
    assert (fields["note"], fields["reason"]) == ("n", "r")
    assert list(fields) == ["id", "customer", "amount", "date", "kind", "note", "reason"]


def test_a_new_ledger_file_is_the_header_then_the_entry() -> None:
    assert entry_text(ENTRY) == ENTRY_TEXT
    assert append_entry(None, ENTRY, "2026-11") == HEADER + ENTRY_TEXT


@pytest.mark.parametrize(
    ("original", "joined"),
    [
        ("", HEADER),  # empty: as if new
        ("\n\n", "\n\n"),  # blank: kept, byte for byte
        ("  ", "  \n"),  # no final newline: one is added before the entry
        ("# only a comment\n", "# only a comment\n"),
        ("- id: P-2026-11-0001\n", "- id: P-2026-11-0001\n"),
        ("- id: P-2026-11-0001", "- id: P-2026-11-0001\n"),
    ],
)
def test_appending_keeps_the_file_and_adds_only_the_entry(original: str, joined: str) -> None:
    assert append_entry(original, ENTRY, "2026-11") == joined + ENTRY_TEXT


@pytest.mark.parametrize(
    ("original", "message"),
    [
        ("- [", "the ledger file does not parse, fix it first: "),
        ("a: 1\n", "the ledger file is not a YAML list of entries"),
        ("[]\n", "the ledger file is a flow-style list ([...]): cannot append to it"),
        (
            "- id: P-2026-11-0001\n...\n",
            "the ledger file ends with a document end marker (...): cannot append",
        ),
    ],
)
def test_a_ledger_that_cannot_take_an_entry_is_refused_with_why(
    original: str, message: str
) -> None:
    with pytest.raises(IskError) as refused:
        append_entry(original, ENTRY, "2026-11")
    assert str(refused.value).startswith(message)
