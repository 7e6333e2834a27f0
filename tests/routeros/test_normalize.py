"""Canonical values: desired (YAML types) and live (raw strings) compare equal exactly
when RouterOS holds the same setting."""

from __future__ import annotations

import pytest

from isk_reconcile.routeros.normalize import (
    canonical,
    canonical_item,
    to_wire,
)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("10M/10M", "10M/10M"),
        ("10000000/10000000", "10M/10M"),
        ("10000k/10M", "10M/10M"),
        ("10000K/10000000", "10M/10M"),
        ("10M", "10M/10M"),  # missing tx = rx
        ("512k/2M", "512k/2M"),
        ("1500k/1G", "1500k/1G"),
        ("1.5M/0.5M", "1500k/500k"),
        ("1000000000/1000000000", "1G/1G"),
        ("999/1001", "999/1001"),
        ("0/0", "0/0"),
        ("2m/2g", "2M/2G"),
        ("10M/10M 20M/20M 8M/8M 8/8", "10M/10M 20M/20M 8M/8M 8/8"),
        ("10M/10M 20M/20M 8M/8M 8s/8s", "10M/10M 20M/20M 8M/8M 8/8"),
        ("10M/10M 20M/20M 8M/8M 1m", "10M/10M 20M/20M 8M/8M 60/60"),
        ("10M/10M 20M/20M 8M/8M 1h/1d", "10M/10M 20M/20M 8M/8M 3600/86400"),
        ("10M/10M 20M/20M 8M/8M 8/8 5 1M/1M", "10M/10M 20M/20M 8M/8M 8/8 5 1M/1M"),
        ("10M/10M 20M 8M 8 5 1M", "10M/10M 20M/20M 8M/8M 8/8 5 1M/1M"),
        # trailing defaults are what RouterOS assumes when a part is left out
        ("10M/10M 0/0 0/0 0/0 8 0/0", "10M/10M"),
        ("10M/10M 0/0 0/0 0/0 8 1M/1M", "10M/10M 0/0 0/0 0/0 8 1M/1M"),
        ("  10M/10M   20M/20M  ", "10M/10M 20M/20M"),
        ("", ""),
    ],
)
def test_rate_limit_spellings_become_one_canonical_form(spelling: str, expected: str) -> None:
    assert canonical("rate-limit", spelling) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        ("yes", "true"),
        ("no", "false"),
        ("true", "true"),
        ("false", "false"),
        ("YES", "true"),
    ],
)
def test_disabled_is_true_false(value: object, expected: str) -> None:
    assert canonical("disabled", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "yes"),
        (False, "no"),
        ("yes", "yes"),
        ("true", "yes"),
        ("false", "no"),
        ("default", "default"),
    ],
)
def test_only_one_is_yes_no_default(value: object, expected: str) -> None:
    assert canonical("only-one", value) == expected


@pytest.mark.parametrize("field", ["change-tcp-mss", "use-encryption", "use-compression"])
def test_other_yes_no_fields(field: str) -> None:
    assert canonical(field, True) == "yes"
    assert canonical(field, "false") == "no"
    assert canonical(field, "default") == "default"
    assert canonical(field, "required") == "required"


def test_passwords_and_names_stay_exact_strings() -> None:
    # the librouteros traps: none of these may collapse into another value
    assert canonical("password", "yes") == "yes"
    assert canonical("password", "true") == "true"
    assert canonical("password", "0123") == "0123"
    assert canonical("password", "123") == "123"
    assert canonical("password", "0123") != canonical("password", "123")
    assert canonical("name", "2024") == "2024"
    assert canonical("password", 123456) == "123456"  # an int librouteros produced


def test_dns_server_list_and_string_agree() -> None:
    assert canonical("dns-server", ("8.8.8.8", "1.1.1.1")) == "8.8.8.8,1.1.1.1"
    assert canonical("dns-server", ["8.8.8.8", " 1.1.1.1 "]) == "8.8.8.8,1.1.1.1"
    assert canonical("dns-server", "8.8.8.8, 1.1.1.1") == "8.8.8.8,1.1.1.1"
    assert canonical("dns-server", "") == ""
    assert canonical("dns-server", ()) == ""


def test_none_is_empty_and_other_text_is_kept() -> None:
    assert canonical("remote-address", None) == ""
    assert canonical("comment", "isk:budi Budi  Santoso ") == "isk:budi Budi  Santoso "
    assert canonical("on-up", ':log info "up"') == ':log info "up"'


def test_canonical_item_desired_and_live_compare_equal() -> None:
    desired = canonical_item(
        {
            "name": "home-10m",
            "rate-limit": "10M/10M",
            "only-one": True,
            "dns-server": ("8.8.8.8", "1.1.1.1"),
        },
    )
    live = canonical_item(
        {
            "name": "home-10m",
            "rate-limit": "10000k/10000000",
            "only-one": "yes",
            "dns-server": "8.8.8.8,1.1.1.1",
        },
    )
    assert desired == live
    secret_live = canonical_item({"name": "2024", "password": "0123", "disabled": "false"})
    assert secret_live == {"name": "2024", "password": "0123", "disabled": "false"}
    assert canonical_item({"radius": "false"}) == {"radius": "false"}


def test_to_wire_sends_yes_no_for_true_false_fields_only() -> None:
    assert to_wire("disabled", "true") == "yes"
    assert to_wire("disabled", "false") == "no"
    assert to_wire("password", "true") == "true"
    assert to_wire("only-one", "yes") == "yes"
