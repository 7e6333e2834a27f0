"""The example ISP (state/, payments/) loads, validates and covers every scenario it promises.

The README and `isk demo` point new users at this repository; these tests keep the
example honest: each scenario from the foundation issue must still be there, with the
billing standing it is meant to have on the demo date 2026-11-29.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from isk_reconcile.billing import engine
from isk_reconcile.billing.invoices import invoices
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.state.encryption import decrypt, load_identity
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.model import State

PROJECT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 29)
# Who is in which billing situation on AS_OF, written down from the comments at the top
# of each customer file (not computed by the engine under test). Everyone else is paid up.
EXPECTED_CAUSES = {
    "not-started": {"ahmad-fauzi"},
    "terminated": {"mega-putri", "sri-mulyani"},
    "free": {"bts-bae-backhaul", "masjid-al-ikhlas", "staff-yusuf"},
    "protected": {"puskesmas-jati"},
    "manual": {"bambang-sutrisno"},
    "unpaid": {"agus-prasetyo", "heru-setiawan", "joko-susilo"},
}
PARTIAL_INVOICE = "agus-prasetyo/2026-11-10"  # Rp100.000 of Rp150.000 paid
WITHIN_GRACE = "lukman-hakim"  # invoice of 2026-11-27 unpaid, grace until 2026-11-30
ISOLATED_WITH_STATIC_IP = "joko-susilo"  # on rw05-jati, which isolates


@pytest.fixture(scope="module")
def state() -> State:
    return load_state(PROJECT, cache=False)


@pytest.fixture(scope="module")
def standings(state: State) -> dict[str, engine.Standing]:
    return dict(engine.standings(state, AS_OF))


def causes(standings: dict[str, engine.Standing]) -> dict[str, set[str]]:
    by_cause: dict[str, set[str]] = {}
    for customer_id, one in standings.items():
        by_cause.setdefault(one.cause, set()).add(customer_id)
    return by_cause


# --- it loads, and it is the size the README says -------------------------------------------


def test_example_loads_without_errors_or_warnings(state: State) -> None:
    assert state.warnings == ()


def test_example_has_three_loopback_routers_one_isolating(state: State) -> None:
    assert set(state.routers) == {"core-kudus", "rw05-jati", "rw09-bae"}
    assert {router.host for router in state.routers.values()} == {"127.0.0.1"}
    assert [state.routers[name].api_port for name in sorted(state.routers)] == [
        18728,
        18729,
        18730,
    ]
    assert state.suspend_for("rw05-jati").mode == "isolate"
    assert state.suspend_for("core-kudus").mode == "disable"
    for router in state.routers.values():
        assert router.password_env and router.password_env.startswith("ISK_ROUTER_")


def test_example_has_sellable_packages_and_an_unpriced_isolate_profile(state: State) -> None:
    sellable = [name for name, profile in state.profiles.items() if profile.price is not None]
    assert len(sellable) >= 4
    isolir = state.profiles["isolir"]
    assert isolir.price is None
    assert state.settings.suspend.isolate_profile == "isolir"
    assert not any("isolir" in c.profile.values() for c in state.customers.values())


def test_example_settings_are_the_documented_ones(state: State) -> None:
    settings = state.settings
    assert settings.timezone == "Asia/Jakarta"
    assert settings.billing.cycle == "monthly"
    assert settings.billing.mode == "prepaid"
    assert settings.billing.grace_days == 3
    assert settings.secrets.allow_plaintext is False
    demo_recipient = (PROJECT / "demo" / "age-recipient.txt").read_text().strip()
    assert settings.secrets.recipients == (demo_recipient,)


def test_example_has_thirty_customers_spread_over_every_router(state: State) -> None:
    assert len(state.customers) >= 30
    per_router = Counter(customer.router for customer in state.customers.values())
    assert set(per_router) == set(state.routers)
    assert min(per_router.values()) >= 8


def test_example_has_a_year_of_monthly_ledger_files(state: State) -> None:
    files = sorted(path.stem for path in (PROJECT / "payments").glob("*.yaml"))
    assert files == ["2025-12"] + [f"2026-{month:02d}" for month in range(1, 12)]
    months_with_entries = {entry.date.strftime("%Y-%m") for entry in state.ledger}
    assert months_with_entries == set(files)
    assert max(entry.date for entry in state.ledger) <= AS_OF


# --- the billing scenarios, as of the demo date ----------------------------------------------


def test_every_standing_cause_occurs(standings: dict[str, engine.Standing]) -> None:
    found = causes(standings)
    paid = found.pop("paid")
    assert found == EXPECTED_CAUSES
    assert paid == set(standings) - set().union(*EXPECTED_CAUSES.values())
    assert len(paid) >= 20


def test_overdue_customers_are_suspended_on_every_kind_of_router(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    unpaid = EXPECTED_CAUSES["unpaid"]
    assert all(standings[c].access == "suspended" for c in unpaid)
    modes = {state.suspend_for(state.customers[c].router).mode for c in unpaid}
    assert modes == {"disable", "isolate"}


def test_an_isolated_customer_has_a_static_ip(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    # Isolation must drop the static remote-address (SPEC §4): the example exercises it.
    joko = state.customers[ISOLATED_WITH_STATIC_IP]
    assert state.suspend_for(joko.router).mode == "isolate"
    assert joko.pppoe.remote_address
    assert standings[ISOLATED_WITH_STATIC_IP].access == "suspended"


def test_a_partial_invoice_exists(standings: dict[str, engine.Standing]) -> None:
    partial = [
        invoice.id
        for one in standings.values()
        for invoice in one.invoices
        if invoice.status == "partial"
    ]
    assert partial == [PARTIAL_INVOICE]
    (invoice,) = [i for i in standings["agus-prasetyo"].invoices if i.id == PARTIAL_INVOICE]
    assert (invoice.amount, invoice.paid) == (150_000, 100_000)


def test_a_customer_is_within_grace_with_an_unpaid_invoice(
    standings: dict[str, engine.Standing],
) -> None:
    within_grace = [
        customer_id
        for customer_id, one in standings.items()
        if one.access == "enabled"
        and one.cause == "paid"
        and any(invoice.status != "paid" and invoice.due <= AS_OF for invoice in one.invoices)
    ]
    assert within_grace == [WITHIN_GRACE]
    assert "grace until 2026-11-30" in standings[WITHIN_GRACE].reason


def test_some_customers_are_paid_at_least_three_months_ahead(
    standings: dict[str, engine.Standing],
) -> None:
    ahead = [
        customer_id
        for customer_id, one in standings.items()
        if one.cause == "paid"
        and one.paid_through is not None
        and one.paid_through >= AS_OF + timedelta(days=90)
    ]
    assert len(ahead) >= 2


def test_the_example_still_has_enabled_customers_months_later(state: State) -> None:
    later = engine.standings(state, date(2027, 3, 1))
    assert sum(1 for one in later.values() if one.cause == "paid") >= 2


def test_free_customers_are_never_billed(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    free = EXPECTED_CAUSES["free"]
    for customer_id in free:
        assert standings[customer_id].invoices == ()
        assert state.entries_for(customer_id) == ()


def test_manual_suspension_has_a_reason(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    for customer_id in EXPECTED_CAUSES["manual"]:
        assert state.customers[customer_id].suspend_reason
        assert state.customers[customer_id].suspend_reason in standings[customer_id].reason


def test_protected_accounts_stay_on_even_when_overdue(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    protected = [c for c, customer in state.customers.items() if customer.protect]
    assert sorted(protected) == ["bts-bae-backhaul", "puskesmas-jati"]
    assert all(standings[c].enabled for c in protected)
    assert any(standings[c].balance < 0 for c in protected)
    assert any(state.customers[c].status == "free" for c in protected)  # the backhaul link


def test_terminated_customers_are_absent_and_one_still_owes(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    terminated = EXPECTED_CAUSES["terminated"]
    for customer_id in terminated:
        assert standings[customer_id].access == "absent"
        assert state.customers[customer_id].end < AS_OF
    assert standings["mega-putri"].balance < 0  # left owing her last period
    owed = {item.invoice.customer for item in receivables(state, AS_OF).items}
    assert owed & terminated


def test_a_future_customer_does_not_exist_yet(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    future = EXPECTED_CAUSES["not-started"]
    assert all(state.customers[c].start > AS_OF for c in future)
    assert all(standings[c].access == "absent" for c in future)


def test_a_scheduled_price_rise_raises_invoices_after_its_date(state: State) -> None:
    rising = [
        (name, profile)
        for name, profile in state.profiles.items()
        if profile.price is not None and len(profile.price.changes) > 1
    ]
    assert rising
    name, profile = rising[0]
    rise = profile.price.changes[-1]
    assert rise.from_ > AS_OF
    on_it = [
        c for c, customer in state.customers.items() if customer.profile_on(rise.from_) == name
    ]
    assert on_it
    billed = invoices(
        state.customers[on_it[0]], state, state.entries_for(on_it[0]), date(2027, 3, 1)
    )
    assert {invoice.amount for invoice in billed if invoice.period.start < rise.from_} == {
        profile.price_on(AS_OF)
    }
    assert {invoice.amount for invoice in billed if invoice.period.start >= rise.from_} == {
        rise.value
    }


def test_a_mid_year_upgrade_changes_the_invoice_amount(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    upgraded = [
        c
        for c, customer in state.customers.items()
        if len(set(customer.profile.values())) > 1
        and customer.start < customer.profile.changes[-1].from_ <= AS_OF
    ]
    assert upgraded
    invoices = standings[upgraded[0]].invoices
    assert len({invoice.profile for invoice in invoices}) == 2
    assert len({invoice.amount for invoice in invoices}) == 2


def test_per_customer_prices_plain_and_dated(state: State) -> None:
    priced = [customer for customer in state.customers.values() if customer.price is not None]
    assert any(len(customer.price.changes) == 1 for customer in priced)
    assert any(len(customer.price.changes) > 1 for customer in priced)


def test_ledger_has_every_kind_and_method(state: State) -> None:
    assert {entry.kind for entry in state.ledger} == {"payment", "credit", "refund"}
    methods = {entry.method for entry in state.ledger if entry.kind == "payment"}
    assert {"cash", "transfer", "qris", "ewallet"} <= methods
    for entry in state.ledger:
        if entry.kind != "payment":
            assert entry.note, entry.id


def test_pppoe_edge_cases_are_present(state: State) -> None:
    customers = list(state.customers.values())
    assert any(c.pppoe.remote_address for c in customers)  # static IP
    assert any(c.pppoe.caller_id for c in customers)  # MAC lock
    # a username that YAML would read as a number (leading zero) stays a string
    assert any(c.pppoe.username and c.pppoe.username.isdigit() for c in customers)
    assert any(not c.name.isascii() for c in customers)
    assert any(c.protect for c in customers)


def test_every_router_can_apply_its_first_plan_within_the_safety_limits(
    state: State, standings: dict[str, engine.Standing]
) -> None:
    # Sized so that the demo's first apply is not refused as unsafe.
    for router in state.routers:
        present = [
            c
            for c, one in standings.items()
            if state.customers[c].router == router and one.access != "absent"
        ]
        suspended = [c for c in present if standings[c].access == "suspended"]
        limit = state.safety_for(router).max_disable_percent
        assert len(present) >= state.safety_for(router).min_managed
        assert len(suspended) * 100 <= limit * len(present)


# --- secrets -------------------------------------------------------------------------------


def test_every_password_is_age_encrypted_to_the_demo_identity(
    state: State, demo_identity: Path
) -> None:
    identity = load_identity()
    plaintexts = {}
    for customer_id, customer in state.customers.items():
        assert customer.pppoe.password and customer.pppoe.password.startswith("age:")
        plaintexts[customer_id] = decrypt(customer.pppoe.password, identity)
    assert all(plaintexts.values())
    # one all-digit password exercises librouteros turning it into an int on read
    assert any(text.isdigit() for text in plaintexts.values())
    for customer_id, text in plaintexts.items():
        raw = (PROJECT / "state" / "customers" / f"{customer_id}.yaml").read_text()
        assert text not in raw


# --- the files themselves -------------------------------------------------------------------


def test_ledger_files_are_ordered_and_numbered_per_month() -> None:
    seen: set[str] = set()
    for path in sorted((PROJECT / "payments").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#"), path.name
        entries = yaml.safe_load(text)
        dates = [entry["date"] for entry in entries]
        assert dates == sorted(dates), path.name
        expected = [f"P-{path.stem}-{n:04d}" for n in range(1, len(entries) + 1)]
        assert [entry["id"] for entry in entries] == expected
        assert all(entry["date"].strftime("%Y-%m") == path.stem for entry in entries)
        assert not seen & set(expected)
        seen |= set(expected)


def test_state_files_carry_comments_and_quote_phones() -> None:
    for path in sorted((PROJECT / "state").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#"), path
        for phone in re.findall(r"^phone: (.*)$", text, flags=re.MULTILINE):
            assert phone.startswith('"+62'), path


def test_generator_script_reproduces_the_committed_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_example", PROJECT / "tools" / "make_example.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_example", module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    assert module.main(["--repo", str(PROJECT), "--check"]) == 0, capsys.readouterr().err


# --- through the command line ---------------------------------------------------------------


def test_isk_validate_accepts_the_example(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from isk_reconcile.cli import _group
    from isk_reconcile.cli.context import run_cli

    code = run_cli(_group, ["--repo", str(example_repo), "--as-of", "2026-11-29", "validate"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "error" not in captured.err.lower()
