"""The validated-state cache (issue 12): a repository unchanged since its last successful
load is not validated again, and everything computed from it is identical; a cache that
does not match or does not check out is a miss, never an error."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import zipfile
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from isk_reconcile import forking
from isk_reconcile.billing.engine import standings
from isk_reconcile.cli import _group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.errors import IskError, ValidationFailed
from isk_reconcile.reconcile.plan import make_plan
from isk_reconcile.render.plan_json import render_json
from isk_reconcile.routeros.types import LiveState
from isk_reconcile.state import fileindex, statecache
from isk_reconcile.state.loader import ledger_warnings, load_state
from isk_reconcile.state.model import State

PROJECT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ISP: 300 customers on 3 routers, 6 months of ledger."""
    spec = importlib.util.spec_from_file_location("bench_generate", PROJECT / "bench/generate.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module  # dataclasses resolve their module through it
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("generated")
    module.generate(out, 300, 3, 6, 1, AS_OF, True)
    return out


def copied(generated: Path, tmp_path: Path) -> Path:
    """A writable copy of the generated ISP's state/ and payments/."""
    repo = tmp_path / "isp"
    for top in ("state", "payments"):
        shutil.copytree(generated / top, repo / top)
    return repo


def cached_state(repo: Path) -> State:
    """The State as the validated-state cache holds it (raises Miss if it does not)."""
    return statecache.load(repo, statecache.fingerprint(repo))


def plan_json(state: State) -> str:
    """The plan against empty routers: every customer's secret and every profile."""
    live = {name: LiveState(name, (), (), ()) for name in state.routers}
    passwords = {cid: c.pppoe.password for cid, c in state.customers.items() if c.pppoe.password}
    wanted = standings(state, AS_OF)
    return render_json(make_plan(state, AS_OF, wanted, live, passwords=passwords))


def workbook(repo: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    argv = ["--repo", str(repo), "--as-of", AS_OF.isoformat(), "export", "--no-routers"]
    assert run_cli(_group, [*argv, "--xlsx", str(path)]) == 0, capsys.readouterr().err
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def test_the_cache_knows_every_field_of_the_state() -> None:
    """A new State or LedgerEntry field turns the cache off (safe, slow): teach it."""
    assert statecache.COMPATIBLE


def test_standings_plan_and_workbook_are_identical_cold_and_warm(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = load_state(generated, cache=False)
    with pytest.raises(statecache.Miss):
        cached_state(generated)
    cold_book = workbook(generated, tmp_path / "cold.xlsx", capsys)  # fills both caches
    warm = cached_state(generated)
    assert warm == cold
    assert dict(warm.locations) == dict(cold.locations) and warm.warnings == cold.warnings
    assert standings(warm, AS_OF) == standings(cold, AS_OF)
    assert plan_json(warm) == plan_json(cold)
    assert '"changes"' in plan_json(cold)
    assert workbook(generated, tmp_path / "warm.xlsx", capsys) == cold_book
    assert load_state(generated) == cold


def test_a_changed_file_is_a_miss(generated: Path, tmp_path: Path) -> None:
    repo = copied(generated, tmp_path)
    load_state(repo)
    cached_state(repo)
    customer = sorted((repo / "state/customers").glob("*.yaml"))[0]
    customer.write_text(customer.read_text().replace("name: ", "name: Renamed ", 1))
    with pytest.raises(statecache.Miss):
        cached_state(repo)
    assert load_state(repo).customers[customer.stem].name.startswith("Renamed ")
    # A new file the loader refuses (.yml) is a change as well: its error is reported.
    (repo / "state/customers/new.yml").write_text("name: x\n")
    with pytest.raises(ValidationFailed, match="1 error"):
        load_state(repo)


def _tamper(document: dict, how: str) -> dict:
    if how == "amount as text":
        document["ledger"][2][0] = "100"
    elif how == "unknown kind":
        document["ledger"][4][0] = "gift"
    elif how == "short column":
        document["ledger"][1].pop()
    elif how == "a customer id twice":
        document["customers"]["id"][1] = document["customers"]["id"][0]
    elif how == "amount zero":
        document["ledger"][2][-1] = 0
    elif how == "amount true":
        document["ledger"][2][0] = True
    elif how == "a customer column short":
        document["customers"]["router"].pop()
    elif how == "a location column short":
        document["locations"][2].pop()
    elif how == "bad date":
        document["ledger"][3][0] = "2026-13-01"
    elif how == "not a list":
        document["routers"] = {"a": 1}
    elif how == "lower-case id":
        document["ledger"][0][0] = document["ledger"][0][0].lower()
    elif how == "id hiding a line break":
        document["ledger"][0][0] = "P-1\nP-2"
    elif how == "tool id number too long":
        document["ledger"][0][0] = "P-2026-01-1234567"
    elif how == "payment without a method":
        document["ledger"][5][document["ledger"][4].index("payment")] = None
    elif how == "reason on a payment":
        document["ledger"][8][document["ledger"][4].index("payment")] = "moved away"
    elif how == "bad warning":
        document["warnings"] = [[1, 2]]
    return document


@pytest.mark.parametrize(
    "how",
    ["amount as text", "unknown kind", "short column", "a customer id twice",
     "a customer column short", "a location column short", "amount zero", "amount true",
     "bad date", "not a list", "bad warning", "garbage", "truncated", "lower-case id",
     "payment without a method", "reason on a payment", "id hiding a line break",
     "tool id number too long"],
)  # fmt: skip
def test_a_hostile_state_cache_is_a_miss_and_is_rewritten(
    generated: Path, tmp_path: Path, how: str
) -> None:
    repo = copied(generated, tmp_path)
    expected = load_state(repo, cache=False)
    load_state(repo)
    file = statecache.state_cache_file(repo)
    text = file.read_text()
    if how == "garbage":
        file.write_bytes(b"\x80garbage" * 100)
    elif how == "truncated":
        file.write_text(text[: len(text) // 3])
    else:
        file.write_text(json.dumps(_tamper(json.loads(text), how)))
    with pytest.raises(statecache.Miss):
        cached_state(repo)
    assert load_state(repo) == expected  # loaded from the files, and the cache rewritten
    assert cached_state(repo) == expected


def test_a_damaged_stored_customer_is_reported_when_looked_up_and_the_cache_removed(
    generated: Path, tmp_path: Path
) -> None:
    """Customers are validated when first looked up (cachedcustomers): one that does not
    validate any more is one line (not a traceback), and the next load reads the files."""
    repo = copied(generated, tmp_path)
    expected = load_state(repo, cache=False)
    load_state(repo)
    file = statecache.state_cache_file(repo)
    document = json.loads(file.read_text())
    document["customers"]["name"][3] = 5
    file.write_text(json.dumps(document))
    warm = cached_state(repo)
    first = document["customers"]["id"][0]
    assert warm.customers[first] == expected.customers[first]  # the others are fine
    with pytest.raises(IskError, match="cache is damaged"):
        dict(warm.customers)
    assert not file.exists()
    assert load_state(repo) == expected and cached_state(repo) == expected


def test_after_a_pay_the_warm_state_is_the_cold_one(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`isk pay` updates the state cache with the one entry it checked (state.appending):
    what the next command sees warm is what a full validation of the files gives."""
    repo = copied(generated, tmp_path)
    load_state(repo)  # warm
    customer = sorted(load_state(repo).customers)[150]
    argv = ["--repo", str(repo), "--as-of", AS_OF.isoformat(), "pay", customer, "150000"]
    assert run_cli(_group, argv) == 0, capsys.readouterr().err
    warm = cached_state(repo)  # written by the pay, not by a full load
    cold = load_state(repo, cache=False)
    assert warm == cold and dict(warm.locations) == dict(cold.locations)
    assert standings(warm, AS_OF) == standings(cold, AS_OF)
    assert plan_json(warm) == plan_json(cold)
    warm_book = workbook(repo, tmp_path / "warm.xlsx", capsys)
    statecache.state_cache_file(repo).unlink()
    assert workbook(repo, tmp_path / "cold.xlsx", capsys) == warm_book


def test_the_warm_ledger_gives_each_customers_entries_as_the_cold_one(generated: Path) -> None:
    """The cached ledger builds its entries when first used (all, or one customer's):
    either way, the same entries in the same order."""
    cold = load_state(generated, cache=False)
    load_state(generated)
    one_by_one = cached_state(generated)
    assert len(one_by_one.ledger) == len(cold.ledger)
    for cid in cold.customers:
        assert one_by_one.entries_for(cid) == cold.entries_for(cid)
    assert one_by_one.entries_for("no-such-customer") == ()
    assert tuple(one_by_one.ledger) == cold.ledger  # built after grouping one customer's
    assert all(one_by_one.entries_for(cid) == cold.entries_for(cid) for cid in cold.customers)
    earlier = date(2026, 10, 15)  # entries after it are warned about, with their lines
    warned = ledger_warnings(cached_state(generated), earlier)
    assert warned == ledger_warnings(cold, earlier) and len(warned) > 100
    whole_first = cached_state(generated)
    assert tuple(whole_first.ledger) == cold.ledger and whole_first.ledger == cold.ledger
    for cid in cold.customers:
        assert whole_first.entries_for(cid) == cold.entries_for(cid)
    assert whole_first.ledger[5] == cold.ledger[5] and whole_first.ledger[-3:] == cold.ledger[-3:]


def pay(repo: Path, customer: str, day: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--repo", str(repo), "--as-of", AS_OF.isoformat(), "pay", customer, "150000"]
    assert run_cli(_group, [*argv, "--date", day]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("limit", [500, 2])
def test_payments_in_a_row_extend_the_tail_and_the_warm_state_stays_the_cold_one(
    generated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
) -> None:
    """Each `isk pay` adds its entry to the small tail file (not the whole cache); past
    TAIL_LIMIT entries the next one writes the whole document again. Payments into an
    earlier month's file go into the middle of the ledger: still the cold order."""
    monkeypatch.setattr(statecache, "TAIL_LIMIT", limit)
    repo = copied(generated, tmp_path)
    load_state(repo)
    file = statecache.state_cache_file(repo)
    tail = file.with_name(statecache.TAIL_NAME)
    whole = file.read_bytes()
    customers = sorted(load_state(repo).customers)
    for number, day in enumerate(["2026-11-20", "2026-09-03", "2026-11-21", "2026-10-02"]):
        pay(repo, customers[40 * number + 7], day, capsys)
        if number < limit:
            assert file.read_bytes() == whole  # only the tail was written
            assert len(json.loads(tail.read_text())["entries"]) == number + 1
        warm, cold = cached_state(repo), load_state(repo, cache=False)
        assert warm == cold and dict(warm.locations) == dict(cold.locations)
    if limit == 2:
        assert file.read_bytes() != whole
    assert standings(cached_state(repo), AS_OF) == standings(load_state(repo, cache=False), AS_OF)


@pytest.mark.parametrize("how", ["other generation", "other files", "garbage", "out of place"])
def test_a_tail_that_does_not_fit_is_a_miss(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    repo = copied(generated, tmp_path)
    load_state(repo)
    pay(repo, sorted(load_state(repo).customers)[3], "2026-11-20", capsys)
    tail = statecache.state_cache_file(repo).with_name(statecache.TAIL_NAME)
    document = json.loads(tail.read_text())
    if how == "other generation":
        document["generation"] = "0" * 24
    elif how == "other files":
        document["files"] = "0" * 64
    elif how == "out of place":
        document["entries"][0][0] = 10**9
    tail.write_text("{[" if how == "garbage" else json.dumps(document))
    with pytest.raises(statecache.Miss):
        cached_state(repo)
    assert load_state(repo) == load_state(repo, cache=False)  # read from the files again
    assert cached_state(repo) == load_state(repo, cache=False)


# --- the fingerprint taken by a helper process while the cache file is decoded -------------


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper process for any size of cache (else only from about 2,000 customers)."""
    monkeypatch.setattr(statecache, "HELPER_FROM", 0)


@pytest.mark.usefixtures("helped")
def test_the_fingerprint_taken_meanwhile_is_the_fingerprint(
    generated: Path, tmp_path: Path
) -> None:
    """The helper's fingerprint and the State are those of the one-after-the-other way;
    the file index the helper wrote is the one the next command trusts."""
    repo = copied(generated, tmp_path)
    cold = load_state(repo, cache=False)
    assert statecache.fingerprint_and_load(repo)[1] is None  # nothing cached yet: a miss
    load_state(repo)  # fills the cache
    files, warm = statecache.fingerprint_and_load(repo)
    assert files == statecache.fingerprint(repo)
    assert warm == cold and dict(warm.locations) == dict(cold.locations)
    index = json.loads((statecache.state_cache_file(repo).with_name(fileindex.NAME)).read_bytes())
    assert set(index["files"]) == set(files)


@pytest.mark.usefixtures("helped")
def test_a_file_changed_since_the_cache_was_written_is_a_miss_with_its_new_hash(
    generated: Path, tmp_path: Path
) -> None:
    repo = copied(generated, tmp_path)
    load_state(repo)
    customer = sorted((repo / "state/customers").glob("*.yaml"))[0]
    customer.write_text(customer.read_text().replace("name: ", "name: Renamed ", 1))
    files, state = statecache.fingerprint_and_load(repo)
    assert state is None
    assert files == statecache.fingerprint(repo)
    assert (
        files[f"state/customers/{customer.name}"]
        == hashlib.sha256(customer.read_bytes()).hexdigest()
    )


@pytest.mark.usefixtures("helped")
@pytest.mark.parametrize("sent", ["not a fingerprint", {"state/settings.yaml": 1}, None, "die"])
def test_a_helper_that_sends_no_fingerprint_leaves_it_to_this_process(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: object
) -> None:
    """Whatever the child sends that is not a fingerprint (or if it dies), this process
    takes the fingerprint itself: the same files, the same State."""
    repo = copied(generated, tmp_path)
    expected = load_state(repo)
    parent, asked = os.getpid(), tmp_path / "asked"
    real = statecache.fingerprint

    def fingerprint(where: Path) -> object:
        if os.getpid() == parent:
            return real(where)
        asked.touch()
        if sent == "die":
            os._exit(9)
        return sent  # (the child's answer)

    monkeypatch.setattr(statecache, "fingerprint", fingerprint)
    files, state = statecache.fingerprint_and_load(repo)
    assert files == real(repo)
    assert state == expected
    assert asked.exists() == forking.may_fork()  # a helper was asked (on two CPUs)


def test_without_a_helper_one_then_the_other(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = copied(generated, tmp_path)
    expected = load_state(repo)
    monkeypatch.setattr(statecache.Helper, "start", classmethod(lambda cls, work: None))
    files, state = statecache.fingerprint_and_load(repo)
    assert files == statecache.fingerprint(repo) and state == expected
    statecache.state_cache_file(repo).write_text("{not json")
    assert statecache.fingerprint_and_load(repo) == (files, None)
