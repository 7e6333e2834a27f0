"""The typed model: dated values, strict scalars, per-object rules."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from isk_reconcile.state.base import Dated
from isk_reconcile.state.customers import Customer
from isk_reconcile.state.ledger import LedgerEntry
from isk_reconcile.state.profiles import Profile
from isk_reconcile.state.ratelimit import parse_rate_limit
from isk_reconcile.state.routers import Router
from isk_reconcile.state.settings import Settings, SuspendSettings


def dated(*pairs: tuple[str, object]) -> dict:
    return {"changes": [{"from": day, "value": value} for day, value in pairs]}


def customer(**overrides: object) -> dict:
    fields: dict[str, object] = {
        "id": "budi",
        "name": "Budi",
        "router": "core",
        "start": date(2026, 1, 15),
        "profile": dated(("2026-01-15", "home-10m")),
    }
    fields.update(overrides)
    return fields


def rule_errors(model: type, data: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as failed:
        model.model_validate(data)
    return [
        (tuple(e["loc"]) + tuple((e.get("ctx") or {}).get("at", ())), e["msg"])
        for e in failed.value.errors()
    ]


def test_dated_value_on_a_day() -> None:
    price = Dated[int].model_validate(dated(("2025-01-01", 100), ("2027-01-01", 120)))
    assert price.at(date(2024, 12, 31)) is None
    assert price.at(date(2025, 1, 1)) == 100
    assert price.at(date(2026, 12, 31)) == 100
    assert price.at(date(2027, 1, 1)) == 120
    assert price.first == 100 and price.values() == (100, 120)


def test_dated_list_must_be_strictly_increasing_and_non_empty() -> None:
    errors = rule_errors(Dated[int], dated(("2026-01-01", 1), ("2026-01-01", 2)))
    assert errors[0][0] == ("changes", 1, "from") and "strictly increasing" in errors[0][1]
    assert "at least one" in rule_errors(Dated[int], {"changes": []})[0][1]


def test_dates_are_iso_dates_only() -> None:
    ok = Customer.model_validate(customer(start="2026-01-15"))
    assert ok.start == date(2026, 1, 15)
    assert "date and time" in rule_errors(Customer, customer(start=datetime(2026, 1, 15, 10)))[0][1]
    assert "YYYY-MM-DD" in rule_errors(Customer, customer(start=20260115))[0][1]
    assert "not a real date" in rule_errors(Customer, customer(start="2026-02-30"))[0][1]


def test_scalars_are_strict() -> None:
    errors = rule_errors(Customer, customer(phone=81234567890))
    assert errors[0][0] == ("phone",)
    money = {"id": "P-1", "customer": "budi", "amount": 1.5, "date": date(2026, 1, 1)}
    assert rule_errors(LedgerEntry, {**money, "method": "cash"})[0][0] == ("amount",)
    assert rule_errors(LedgerEntry, {**money, "amount": True, "method": "cash"})[0][0] == (
        "amount",
    )


def test_customer_rules() -> None:
    assert rule_errors(Customer, customer(id="Budi"))[0][0] == ("id",)
    assert rule_errors(Customer, customer(status="terminated"))[0][0] == ("end",)
    errors = rule_errors(Customer, customer(status="terminated", end=date(2026, 1, 1)))
    assert errors[0] == (("end",), "end 2026-01-01 is before start 2026-01-15")
    late = customer(profile=dated(("2026-02-01", "home-10m")))
    assert rule_errors(Customer, late)[0][0] == ("profile", "changes", 0, "from")
    # RouterOS allows inner spaces in a secret's name; not at either end, nor non-ASCII
    assert Customer.model_validate(customer(pppoe={"username": "budi santoso"})).username
    for bad in (" budi", "budi ", "büdi", "a" * 65):
        assert rule_errors(Customer, customer(pppoe={"username": bad}))[0][0] == (
            "pppoe",
            "username",
        )
    assert Customer.model_validate(customer()).username == "budi"


def test_ledger_method_rules() -> None:
    entry = {"id": "C-1", "customer": "budi", "amount": 10, "date": date(2026, 1, 1)}
    assert rule_errors(LedgerEntry, {**entry, "kind": "credit", "method": "cash"})[0][0] == (
        "method",
    )
    assert rule_errors(LedgerEntry, {**entry, "kind": "refund"})[0][0] == ("method",)
    credit = LedgerEntry.model_validate({**entry, "kind": "credit"})
    refund = LedgerEntry.model_validate({**entry, "kind": "refund", "method": "cash"})
    assert (credit.signed_amount, refund.signed_amount) == (10, -10)


@pytest.mark.parametrize(
    "text",
    ["10M/10M", "512k", "10M/10M 20M/20M 8M/8M 16/16 8 5M/5M", "1.5M/2M", "10M/10M 20M/20M"],
)
def test_rate_limit_accepted(text: str) -> None:
    assert parse_rate_limit(text)  # the reconciler's parser is the validator: one, not two
    assert Profile.model_validate({"name": "p", "rate_limit": text}).rate_limit == text


@pytest.mark.parametrize(
    "text",
    ["10 Mbps", "10M/10M/10M", "fast", "10M/10M 20M/20M 8M/8M 16/16 9", "1.5/1.5", "0.5/1M"],
)
def test_rate_limit_refused(text: str) -> None:
    assert rule_errors(Profile, {"name": "p", "rate_limit": text})[0][0] == ("rate_limit",)


def test_profile_names() -> None:
    assert "built-in" in rule_errors(Profile, {"name": "default"})[0][1]
    assert "built-in" in rule_errors(Profile, {"name": "Default-Encryption"})[0][1]
    assert rule_errors(Profile, {"name": "-home"})[0][0] == ("name",)
    profile = Profile.model_validate({"name": "home", "routers": ["core"]})
    assert profile.on_router("core") and not profile.on_router("edge")
    assert Profile.model_validate({"name": "all"}).on_router("edge")


def test_router_defaults_and_rules() -> None:
    router = Router.model_validate({"name": "core-kudus", "host": "127.0.0.1", "tls": True})
    assert router.api_port == 8729
    assert router.password_variable == "ISK_ROUTER_CORE_KUDUS_PASSWORD"
    assert rule_errors(Router, {"name": "core", "host": "127.0.0.1", "timeout": "10"})[0][0] == (
        "timeout",
    )
    assert rule_errors(Router, {"name": "core", "host": " "})[0][0] == ("host",)


def test_isolate_needs_a_profile() -> None:
    errors = rule_errors(SuspendSettings, {"mode": "isolate", "isolate_profile": None})
    assert errors[0][0] == ("isolate_profile",)
    assert SuspendSettings.model_validate({"mode": "disable", "isolate_profile": None})


def test_unknown_time_zone_suggests_the_closest() -> None:
    with pytest.raises(ValidationError) as failed:
        Settings.model_validate({"timezone": "Asia/Jakarata"})
    (error,) = failed.value.errors()
    assert error["loc"] == ("timezone",) and "unknown time zone 'Asia/Jakarata'" in error["msg"]
    assert error["ctx"]["hint"] == "did you mean Asia/Jakarta?"
    assert rule_errors(Settings, {"timezone": "../../etc/passwd"})[0][0] == ("timezone",)
    assert Settings.model_validate({"timezone": "UTC"}).timezone == "UTC"


@pytest.mark.parametrize("prefix", ["", "isk:", "my isp", "-isk", "x" * 17])
def test_comment_prefix_must_be_a_short_token(prefix: str) -> None:
    assert rule_errors(Settings, {"comment_prefix": prefix})[0][0] == ("comment_prefix",)


def test_comment_prefix_accepted() -> None:
    assert Settings.model_validate({"comment_prefix": "isk_net-2"}).comment_prefix == "isk_net-2"


def test_pppoe_service_is_one_routeros_accepts() -> None:
    assert Customer.model_validate(customer(pppoe={"service": "any"})).pppoe.service == "any"
    errors = rule_errors(Customer, customer(pppoe={"service": "pppoa"}))
    assert errors[0][0] == ("pppoe", "service") and "'sstp'" in errors[0][1]


def test_routeros_passthrough_keys_are_property_names_not_core_fields() -> None:
    keys = {"change-tcp-mss": "yes", "rate-limit": "1M/1M", "change_tcp_mss": "yes", "On-Up": "x"}
    errors = rule_errors(Profile, {"name": "p", "routeros": keys})
    assert [loc for loc, _ in errors] == [
        ("routeros", "rate-limit", "[key]"),
        ("routeros", "change_tcp_mss", "[key]"),
        ("routeros", "On-Up", "[key]"),
    ]
    assert "managed by isk" in errors[0][1] and "property name" in errors[1][1]
    assert "read-only" in rule_errors(Profile, {"name": "p", "routeros": {"default": "yes"}})[0][1]
    ok = Profile.model_validate({"name": "p", "routeros": {"on-up": ":log info up"}})
    assert dict(ok.routeros) == {"on-up": ":log info up"}


def test_end_is_only_for_terminated_customers() -> None:
    errors = rule_errors(Customer, customer(end=date(2026, 12, 31)))
    assert errors == [(("end",), "end is only for terminated customers (status is active)")]
    terminated = customer(status="terminated", end=date(2027, 1, 1))
    assert Customer.model_validate(terminated).end == date(2027, 1, 1)  # scheduled ending


def test_rules_between_fields_are_checked_even_when_another_field_fails() -> None:
    data = customer(
        phone=81234567890,
        status="terminated",
        profile=dated(("2026-01-16", "home-10m")),
    )
    locs = [loc for loc, _ in rule_errors(Customer, data)]
    assert locs == [("phone",), ("profile", "changes", 0, "from"), ("end",)]
