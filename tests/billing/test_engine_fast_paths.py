"""The shortcuts `standings` takes for speed give the same answers as the plain definitions.

`standings` sorts the ledger once for everyone, walks each customer's dated profile and
price lists with cursors and memoises package prices by (package, day) across customers.
These tests compare it with `price_on` (the definition of what a period is billed) and
with `standing` for one customer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isk_reconcile.billing.engine import standing, standings
from isk_reconcile.billing.invoices import billed_amounts, price_on, unpaid_invoices
from isk_reconcile.state.customers import Hold, Opening
from isk_reconcile.state.lazyledger import LazyLedger, unbuilt_columns
from isk_reconcile.state.ledgercolumns import columns_of, entry_builder
from isk_reconcile.state.loader import load_state
from isk_reconcile.state.settings import BillingSettings, Settings
from tests.helpers.examples import scaled
from tests.helpers.ledger import customer, dated, entry, make_state, profile

EPOCH = date(2025, 1, 1)
relaxed = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=scaled(60)
)
offsets = st.integers(min_value=0, max_value=600)


def iso(offset: int) -> str:
    return (EPOCH + timedelta(days=offset)).isoformat()


@st.composite
def fleets(draw):
    """Three customers sharing two packages whose prices change over time; upgrades,
    own prices (discounts) that change, and ledger entries in shuffled order."""
    packages = [
        profile("home-10m", dated(150_000, *[(iso(o), v) for o, v in draw(price_steps())])),
        profile("home-20m", dated(200_000, *[(iso(o), v) for o, v in draw(price_steps())])),
    ]
    people = []
    for number in range(3):
        # often the same start day: customers of one tariff's shape share their bills
        start = draw(st.sampled_from((0, 59)) | offsets)
        moves = sorted(set(draw(st.lists(st.integers(1, 400), max_size=3))))
        own = draw(st.none() | price_steps(min_size=1))
        people.append(
            customer(
                f"c{number}",
                start=iso(start),
                package=draw(st.sampled_from(["home-10m", "home-20m"])),
                profile_changes=tuple(
                    (iso(start + move), ("home-20m", "home-10m")[k % 2])
                    for k, move in enumerate(moves)
                ),
                price=None if own is None else dated(own[0][1], *[(iso(o), v) for o, v in own]),
            )
        )
    ledger = [
        entry(f"P-{n:03d}", iso(draw(offsets)), draw(st.integers(1, 900_000)), kind, f"c{who}")
        for n, (who, kind) in enumerate(
            draw(
                st.lists(
                    st.tuples(st.integers(0, 2), st.sampled_from(["payment", "credit", "refund"])),
                    max_size=25,
                )
            )
        )
    ]
    ledger = draw(st.permutations(ledger))
    state = make_state(people, ledger, packages, cycle=draw(st.sampled_from(["30d", "monthly"])))
    return state, EPOCH + timedelta(days=draw(st.integers(0, 800)))


def price_steps(min_size: int = 0):
    return st.lists(
        st.tuples(st.integers(1, 700), st.integers(0, 400_000)),
        min_size=min_size,
        max_size=3,
        unique_by=lambda step: step[0],
    ).map(sorted)


@relaxed
@given(fleets())
def test_every_invoice_is_billed_what_price_on_says(fleet):
    state, as_of = fleet
    for found in standings(state, as_of).values():
        person = state.customers[found.customer]
        for invoice in found.invoices:
            assert (invoice.amount, invoice.profile) == price_on(
                person, state, invoice.period.start
            )


@relaxed
@given(fleets())
def test_standings_of_everyone_equal_each_customer_on_their_own(fleet):
    state, as_of = fleet
    everyone = standings(state, as_of)
    assert list(everyone) == sorted(state.customers)
    for cid in state.customers:
        assert everyone[cid] == standing(state, cid, as_of)


@relaxed
@given(fleets())
def test_a_ledger_of_columns_is_billed_on_its_rows_as_its_entries_are(fleet):
    # The state cache's ledger is billed on LedgerRows made from its columns, not on
    # LedgerEntry models: the same standings and invoices (paid_by, paid_on), and the
    # ledger is still unbuilt afterwards.
    state, as_of = fleet
    columns = LazyLedger(columns_of(state.ledger), entry_builder())
    from_rows = standings(replace(state, ledger=columns), as_of)
    assert unbuilt_columns(columns) is not None
    assert from_rows == standings(state, as_of)
    assert [list(found.invoices) for found in from_rows.values()] == [
        list(found.invoices) for found in standings(state, as_of).values()
    ]


def test_a_package_price_memo_is_per_day_not_per_customer():
    # Two customers on the same package start in the same month, either side of a price
    # rise: the shared memo must not hand one customer's price to the other's period.
    packages = [profile("home-10m", dated(150_000, ("2026-03-15", 165_000)))]
    early = customer("early", start="2026-03-01")
    late = customer("late", start="2026-03-20")
    state = replace(
        make_state([early, late], profiles=packages),
        settings=Settings(billing=BillingSettings(cycle="monthly")),
    )
    found = standings(state, date(2026, 4, 10))
    assert [i.amount for i in found["early"].invoices] == [150_000, 165_000]
    assert [i.amount for i in found["late"].invoices] == [165_000]


def test_bills_are_shared_only_by_customers_billed_alike():
    # Eight customers start on one day on one package; only twin is billed exactly as budi
    # is. Each of the others differs in one thing the periods or their prices depend on,
    # and must not be handed budi's bills from the memo of the run.
    start = "2026-01-01"
    people = [
        customer("budi", start=start),
        customer("twin", start=start),
        customer("ended", start=start, status="terminated", end=date(2026, 2, 20)),
        customer("later", start=start, status="terminated", end=date(2026, 3, 20)),
        customer("adopted", start=start, opening=Opening(paid_through=date(2026, 2, 9))),
        customer("discount", start=start, price=dated(99_000)),
        customer("upgraded", start=start, profile_changes=(("2026-03-01", "home-20m"),)),
        customer("freebie", start=start, status="free"),
    ]
    state = replace(make_state(people), settings=Settings(billing=BillingSettings(cycle="monthly")))
    day = date(2026, 4, 10)
    found = standings(state, day)
    assert found == {cid: standing(state, cid, day) for cid in state.customers}

    def bills(cid: str) -> list[tuple[str, int]]:
        return [
            (start.isoformat(), amount) for start, amount in billed_amounts(found[cid].invoices)
        ]

    months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    assert bills("budi") == bills("twin") == [(month, 150_000) for month in months]
    assert bills("ended") == [("2026-01-01", 150_000), ("2026-02-01", 150_000)]
    assert bills("later") == [(month, 150_000) for month in months[:3]]
    adopted = ["2026-02-10", "2026-03-10", "2026-04-10"]  # the last starts on the day
    assert bills("adopted") == [(month, 150_000) for month in adopted]
    assert bills("discount") == [(month, 99_000) for month in months]
    assert bills("upgraded") == [(m, 150_000) for m in months[:2]] + [
        (m, 200_000) for m in months[2:]
    ]
    assert bills("freebie") == []


def test_standings_are_read_only_and_depend_only_on_state_and_day(example_repo: Path):
    state = load_state(example_repo)
    as_of = date(2026, 11, 29)
    first = standings(state, as_of)
    assert isinstance(first, MappingProxyType)  # shared, so callers cannot change it
    assert standings(state, as_of) == first
    other_day = standings(state, as_of + timedelta(days=40))
    assert other_day != first
    # A State built by hand (plain dicts) gets the same answers as the loaded one.
    by_hand = replace(state, customers=dict(state.customers))
    assert standings(by_hand, as_of) == first


def test_standings_allocate_same_day_entries_by_id_like_standing():
    # Two payments on one day, listed in the ledger out of id order: allocation follows
    # (date, id), so P-2 (the later id) completes the first invoice, whichever order the
    # files list them in, for everyone at once as for one customer.
    ledger = [entry("P-2", "2026-01-15", 50_000), entry("P-1", "2026-01-15", 100_000)]
    state = make_state([customer()], ledger)
    day = date(2026, 1, 20)
    found = standings(state, day)["budi"]
    assert (found.invoices[0].paid_by, found.reason) == ("P-2", "paid through 2026-02-13 (P-2)")
    assert found == standing(state, "budi", day)


def test_standings_allocate_by_date_before_id_like_standing():
    # P-1 is dated after P-2: allocation follows the dates, so P-2 pays the first invoice
    # and P-1 the second, whatever the ids say, for everyone at once as for one customer.
    ledger = [entry("P-1", "2026-02-20", 150_000), entry("P-2", "2026-01-15", 150_000)]
    state = make_state([customer()], ledger)
    day = date(2026, 2, 25)
    found = standings(state, day)["budi"]
    assert [(i.paid_on, i.paid_by) for i in found.invoices] == [
        (date(2026, 1, 15), "P-2"),
        (date(2026, 2, 20), "P-1"),
    ]
    assert found == standing(state, "budi", day)


def test_a_customer_on_hold_does_not_hand_an_old_package_price_to_others():
    # Found by test_engine_agrees_with_the_independent_model. ani (paid two periods) is on
    # hold from February to June, upgraded to home-20m from April meanwhile. Her billing
    # priced the periods on hold up to May, then looked for how far her credit reaches
    # from March again: asked out of order, the shared memo filed her home-10m price
    # (150.000) under home-20m for 03-02, and budi, on home-20m with the same period
    # starts, was billed 150.000 for it instead of 200.000.
    ani = customer(
        "ani",
        start="2026-01-01",
        profile_changes=(("2026-04-01", "home-20m"),),
        holds=(Hold(from_=date(2026, 2, 1), until=date(2026, 6, 30), reason="abroad"),),
    )
    budi = customer("budi", start="2026-01-01", package="home-20m")
    state = make_state([ani, budi], [entry("P-1", "2026-01-01", 300_000, cid="ani")])
    day = date(2026, 5, 15)
    found = standings(state, day)
    assert [(i.id, i.amount) for i in found["budi"].invoices] == [
        ("budi/2026-01-01", 200_000),
        ("budi/2026-01-31", 200_000),
        ("budi/2026-03-02", 200_000),
        ("budi/2026-04-01", 200_000),
        ("budi/2026-05-01", 200_000),
    ]
    assert found["budi"].balance == -1_000_000
    assert found == {cid: standing(state, cid, day) for cid in ("ani", "budi")}


def _with_hold_and_prorate(state, as_of):
    """The same fleet billed by the day, its first customer on hold for a while."""
    first = state.customers["c0"]
    leaves = first.start + timedelta(days=40)
    away = Hold(from_=leaves, until=max(as_of, leaves + timedelta(days=70)), reason="abroad")
    billing = state.settings.billing.model_copy(update={"prorate": True})
    return replace(
        state,
        settings=state.settings.model_copy(update={"billing": billing}),
        customers={**state.customers, "c0": first.model_copy(update={"holds": (away,)})},
    )


@relaxed
@given(fleets(), st.booleans())
def test_billed_amounts_and_unpaid_invoices_are_what_the_invoices_say(fleet, held):
    """The dashboard reads them off a standing without making its invoices (issue 12)."""
    state, as_of = fleet
    if held:
        state = _with_hold_and_prorate(state, as_of)
    for found in standings(state, as_of).values():
        amounts, unpaid = billed_amounts(found.invoices), unpaid_invoices(found.invoices)
        assert not found.invoices.made  # type: ignore[attr-defined]
        made = tuple(found.invoices)
        assert amounts == [(invoice.period.start, invoice.amount) for invoice in made]
        assert list(unpaid) == [invoice for invoice in made if invoice.outstanding > 0]
        assert billed_amounts(made) == amounts and unpaid_invoices(made) == list(unpaid)


def test_one_rupiah_outstanding_is_unpaid_however_the_invoices_are_held():
    """A standing's own `Invoices` and a plain tuple of the same invoices give the same
    unpaid ones, down to an invoice one rupiah short."""
    state = make_state([customer()], [entry("P-1", "2026-01-15", 149_999)])
    found = standings(state, date(2026, 1, 20))["budi"]
    made = tuple(found.invoices)
    assert [invoice.outstanding for invoice in made] == [1]
    assert list(unpaid_invoices(made)) == list(unpaid_invoices(found.invoices)) == list(made)
