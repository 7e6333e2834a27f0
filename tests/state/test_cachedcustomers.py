"""The state cache's customer columns (state.cachedcustomers): customers are stored
without their defaults, a stored value equal to its field's default is left out when
the customer is validated again, and the customer looked up is the one that was stored."""

from __future__ import annotations

import json
from datetime import date

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.state.cachedcustomers import DEFAULTS, decode, encode
from isk_reconcile.state.customers import Customer, CustomerNotify, Hold, Opening, Pppoe
from tests.helpers.ledger import customer, dated

PASSWORD = "age:" + "A" * 40  # (a value only: no age stanza is decrypted here)

CUSTOMERS = [
    customer("plain"),
    customer(
        "everything",
        profile_changes=(("2026-03-01", "home-20m"),),
        phone="+6281234567890",
        email="budi@example.id",
        address="Jl. Mawar 1",
        price=dated(99_000, ("2026-06-01", 120_000)),
        status="terminated",
        end=date(2026, 9, 30),
        pppoe=Pppoe(
            username="budi-home",
            password=PASSWORD,
            service="any",
            remote_address="10.0.0.9",
            caller_id="AA:BB:CC:DD:EE:FF",
        ),
        protect=True,
        adopt=True,
        opening=Opening(paid_through=date(2026, 2, 14), note="settled in cash"),
        holds=(
            Hold(from_=date(2026, 4, 1), until=date(2026, 4, 30), reason="mudik"),
            Hold(from_=date(2026, 7, 1), reason="renovation"),
        ),
        notes="corner house",
        notify=CustomerNotify(opt_out=("sms",), telegram="@budi_home"),
    ),
    customer(
        "suspended", status="suspended", suspend_reason="asked to", pppoe=Pppoe(password=PASSWORD)
    ),
]


def stored(customers: list[Customer]) -> dict:
    """The columns as the cache file holds them (through JSON, as they are read back)."""
    return json.loads(json.dumps(encode(customers)))


def looked_up(columns: dict, damaged=lambda: None) -> list[Customer]:
    cached = decode(columns, damaged)
    return [cached[cid] for cid in cached]


def test_every_customer_reads_back_as_it_was_stored() -> None:
    assert looked_up(stored(CUSTOMERS)) == CUSTOMERS


def test_defaults_are_stored_as_their_json_and_nested_ones_left_out() -> None:
    assert dict(DEFAULTS) == {
        "phone": None, "email": None, "address": "", "price": None, "status": "active",
        "end": None, "suspend_reason": "", "pppoe": {}, "protect": False, "adopt": False,
        "opening": None, "holds": [], "notes": "", "notify": {},
    }  # fmt: skip
    columns = stored(CUSTOMERS)
    plain = {name: column[0] for name, column in columns.items()}
    assert {name for name, value in plain.items() if DEFAULTS.get(name, ...) != value} == {
        "id", "name", "router", "start", "profile",
    }  # fmt: skip
    everything = {name: column[1] for name, column in columns.items()}
    assert [name for name, value in everything.items() if DEFAULTS.get(name) == value] == [
        "suspend_reason"
    ]
    assert columns["pppoe"][2] == {"password": PASSWORD}  # no username, service: pppoe...
    assert columns["notify"][2] == {}


def test_a_stored_customer_with_its_defaults_written_out_is_the_same_customer() -> None:
    # What a cache written before defaults were left out holds: every value spelled out.
    columns = stored(CUSTOMERS)
    for name, column in columns.items():
        spelled = [one.model_dump(mode="json", by_alias=True)[name] for one in CUSTOMERS]
        column[:] = spelled
    assert looked_up(columns) == CUSTOMERS


def test_a_stored_default_means_the_default() -> None:
    # A hand-made cache: a value equal to a field's default can only mean that default
    # (0 is False to Python: the default, not a value pydantic would refuse).
    columns = stored(CUSTOMERS)
    columns["pppoe"][1], columns["protect"][1] = {}, 0
    found = looked_up(columns)[1]
    assert (found.pppoe, found.protect) == (Pppoe(), False)


@pytest.mark.parametrize(
    ("field", "value"), [("name", None), ("router", None), ("start", None), ("profile", {})]
)
def test_a_required_field_is_never_left_out_a_wrong_one_is_a_damaged_cache(
    field: str, value: object
) -> None:
    columns = stored(CUSTOMERS)
    columns[field][0] = value
    reported: list[bool] = []
    with pytest.raises(IskError, match="cache is damaged"):
        looked_up(columns, lambda: reported.append(True))
    assert reported == [True]
