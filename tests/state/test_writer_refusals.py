"""writer: what `isk customer add` and `isk pay` refuse, with the message that says why,
before anything is written; and the edge amounts they accept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.state.encryption import encrypt
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import NewCustomer, NewEntry, add_customer, add_entry

DAY = date(2026, 11, 3)
POSITIVE = "the amount must be a positive number of rupiah"


def _new(state, **fields: object) -> NewCustomer:
    password = encrypt("s3cret-pass", state.settings.secrets.recipients)
    base = {
        "id": "zaki",
        "name": "Zaki",
        "router": "core-kudus",
        "profile": "home-10m",
        "start": date(2026, 11, 29),
        "password": password,
    }
    return NewCustomer(**{**base, **fields})


def _files(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*.yaml"))}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"id": "Zaki!"},
            "customer id 'Zaki!' is not valid: use lowercase letters, digits, '.', '_' and "
            "'-', starting with a letter or digit",
        ),
        (
            {"id": "budi-santoso"},
            "customer budi-santoso already exists (state/customers/budi-santoso.yaml)",
        ),
        (
            {"router": "rw99"},
            "unknown router 'rw99': choose one of core-kudus, rw05-jati, rw09-bae",
        ),
        (
            {"profile": "home-999m"},
            "unknown profile 'home-999m': choose one of business-100m, home-10m, home-20m, "
            "home-50m, isolir",
        ),
        ({"profile": "isolir"}, "profile isolir has no price (not sellable): choose another one"),
        (
            {"profile": "business-100m", "router": "rw05-jati"},
            "profile business-100m is not pushed to router rw05-jati",
        ),
        (
            {"username": "budi-santoso"},
            "PPPoE username 'budi-santoso' is already used by customer budi-santoso on "
            "core-kudus: pass --username",
        ),
    ],
)
def test_customer_add_refuses_with_the_reason_and_writes_nothing(
    example_repo: Path, fields: dict[str, object], message: str
) -> None:
    state = load_state(example_repo)
    before = _files(example_repo)
    with pytest.raises(IskError) as refused:
        add_customer(example_repo, state, _new(state, **fields))
    assert str(refused.value) == message
    assert _files(example_repo) == before


def test_an_unpriced_package_is_sold_with_a_price_of_its_own(example_repo: Path) -> None:
    """The price check refuses only a customer who would be billed nothing by mistake."""
    (example_repo / "state" / "profiles" / "promo.yaml").write_text("rate_limit: 5M/5M\n")
    state = load_state(example_repo)
    with pytest.raises(IskError, match="profile promo has no price"):
        add_customer(example_repo, state, _new(state, profile="promo"))
    added = add_customer(example_repo, state, _new(state, profile="promo", price=50000))
    assert added.customers["zaki"].price.at(date(2026, 11, 29)) == 50000


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (NewEntry("budi-santoso", 0, DAY), POSITIVE),
        (NewEntry("budi-santoso", -5, DAY), POSITIVE),
        (
            NewEntry("budi-santoso", 5000, DAY, kind="credit", method="cash"),
            "a credit is not cash: leave out --method",
        ),
        (
            NewEntry("budi-santoso", 5000, DAY, kind="writeoff", method="cash", reason="x"),
            "a writeoff is not cash: leave out --method",
        ),
        (
            NewEntry("budi-santoso", 1_000_000_001, DAY, method="cash"),
            "the amount 1000000001 is more than the maximum 1000000000 "
            "(billing.max_amount in state/settings.yaml)",
        ),
        (NewEntry("nobody", 5000, DAY), "unknown customer 'nobody'"),
    ],
)  # fmt: skip
def test_pay_refuses_with_the_reason_and_writes_nothing(
    example_repo: Path, entry: NewEntry, message: str
) -> None:
    state = load_state(example_repo)
    before = _files(example_repo)
    with pytest.raises(IskError) as refused:
        add_entry(example_repo, state, entry)
    assert str(refused.value) == message
    assert _files(example_repo) == before


@pytest.mark.parametrize("amount", [1, 1_000_000_000])
def test_pay_takes_one_rupiah_and_exactly_the_maximum(example_repo: Path, amount: int) -> None:
    state = load_state(example_repo)
    entry = NewEntry("budi-santoso", amount, date(2027, 2, 1), method="cash", note="edge")
    entry_id, relpath, new_state = add_entry(example_repo, state, entry)
    written = {e.id: e for e in new_state.ledger}[entry_id]
    assert (written.amount, written.note) == (amount, "edge")
    assert (example_repo / relpath).read_text().startswith("# Payment ledger for 2027-02:")


def test_a_writeoff_keeps_its_reason(example_repo: Path) -> None:
    state = load_state(example_repo)
    entry = replace(
        NewEntry("budi-santoso", 1000, date(2027, 2, 1)), kind="writeoff", reason="moved away"
    )
    entry_id, _, new_state = add_entry(example_repo, state, entry)
    assert {e.id: e for e in new_state.ledger}[entry_id].reason == "moved away"


def test_a_package_pushed_to_some_routers_is_sold_on_those(example_repo: Path) -> None:
    state = load_state(example_repo)
    new = _new(state, profile="business-100m", router="core-kudus")
    assert add_customer(example_repo, state, new).customers["zaki"].router == "core-kudus"
