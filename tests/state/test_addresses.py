"""Addresses, host names, MACs and ledger ids are checked for what they are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError

from isk_reconcile.errors import IskError
from isk_reconcile.state import addresses
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.writer import NewEntry, add_entry, next_entry_id


@pytest.mark.parametrize("value", ["10.0.0.1", "::1", "fd00::10", "router.example.net", "core-1"])
def test_hosts_accepted(value: str) -> None:
    assert addresses.host(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.300",
        "999.1.1.1",
        "127.0.0.1; rm -rf /",
        "a..b",
        "-x.example",
        "1.2.3",
        "",
        "host name",
        "x" * 64 + ".example",
        "évil.example",
    ],
)
def test_hosts_refused(value: str) -> None:
    with pytest.raises(PydanticCustomError):
        addresses.host(value)


@pytest.mark.parametrize("value", ["pool-home", "10.10.0.1", "fd00::1"])
def test_ip_or_pool_accepted(value: str) -> None:
    assert addresses.ip_or_pool(value) == value


@pytest.mark.parametrize("value", ["10.0.0.300", "evil;x", "pool home", "1.2.3.4.5"])
def test_ip_or_pool_refused(value: str) -> None:
    with pytest.raises(PydanticCustomError):
        addresses.ip_or_pool(value)


@pytest.mark.parametrize("value", ["AA:BB:CC:DD:EE:FF", "aa:bb:cc:00:11:22", "10.0.0.5"])
def test_caller_id_accepted(value: str) -> None:
    assert addresses.caller_id(value) == value


@pytest.mark.parametrize("value", ["AA:BB:CC:DD:EE", "budi's phone", "AA-BB-CC-DD-EE-GG"])
def test_caller_id_refused(value: str) -> None:
    with pytest.raises(PydanticCustomError):
        addresses.caller_id(value)


@pytest.mark.parametrize("value", ["P-2026-11-0005", "P-1", "W-2026-11-000001", "QRIS.123_4"])
def test_ledger_ids_accepted(value: str) -> None:
    assert addresses.ledger_id(value) == value


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("p-2026-11-0005", "write it P-2026-11-0005"),
        ("\u0420-2026-11-0005", "non-ASCII"),
        ("P-2026-11-\u200b0005", "non-ASCII"),
        ("P-2026-11-" + "1" * 20, "20 digits"),
        ("P" * 41, "1-40"),
    ],
)
def test_ledger_ids_refused(value: str, says: str) -> None:
    with pytest.raises(PydanticCustomError, match=says):
        addresses.ledger_id(value)


def test_next_id_ignores_an_absurd_number() -> None:
    ids = ["P-2026-11-0004", "P-2026-11-" + "9" * 20]
    assert next_entry_id(ids, date(2026, 11, 3)) == "P-2026-11-0005"


def test_pay_above_the_maximum_writes_nothing(example_repo: Path) -> None:
    state = load_state(example_repo)
    before = (example_repo / "payments" / "2026-11.yaml").read_bytes()
    most = state.settings.billing.max_amount
    entry = NewEntry("agus-prasetyo", most + 1, date(2026, 11, 29), method="cash")
    with pytest.raises(IskError, match="more than the maximum"):
        add_entry(example_repo, state, entry)
    assert (example_repo / "payments" / "2026-11.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("１５０００", "ASCII digits"),
        ("١٥٠٠٠", "ASCII digits"),
        ("1" + "0" * 25, "more than the maximum"),
        ("15e3", "not a whole number of rupiah"),
    ],
)
def test_pay_amount_must_be_ascii_digits_within_the_maximum(
    example_repo: Path, amount: str, says: str, capsys
) -> None:
    import isk_reconcile.cli  # noqa: F401  (registers the commands)
    from isk_reconcile.cli.context import run_cli
    from isk_reconcile.cli.root import main as isk

    before = (example_repo / "payments" / "2026-11.yaml").read_bytes()
    code = run_cli(isk, ["--repo", str(example_repo), "pay", "agus-prasetyo", amount])
    assert code == 1
    assert says in capsys.readouterr().err
    assert (example_repo / "payments" / "2026-11.yaml").read_bytes() == before
