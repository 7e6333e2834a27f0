"""Billed money stays billed: `isk validate --base main` refuses an edit that erases
money still owed for started periods, until it is settled or written off on record.
A real git repository of the example ISP; receivables are measured before and after."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import git
import pytest

from isk_reconcile.billing.engine import standing
from isk_reconcile.billing.receivables import receivables
from isk_reconcile.state.loader import load_state

AS_OF = "2026-11-29"


@pytest.fixture
def repo(example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Admin Satu")
        config.set_value("user", "email", "admin1@isk.example")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "initial state")
    return example_repo


def isk(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--repo", str(repo), "--as-of", AS_OF, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def owed(repo: Path) -> int:
    return receivables(load_state(repo, cache=False), date.fromisoformat(AS_OF)).total


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def refused(repo: Path, field: str) -> str:
    done = isk(repo, "validate", "--base", "main")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if f": {field}: " in line]
    assert lines, done.stderr
    assert all("\n" not in line for line in lines)
    return lines[0]


def debt_in(line: str) -> tuple[str, str]:
    found = re.search(r"(Rp[\d.]+) → (Rp[\d.]+)", line)
    assert found, line
    return found[1], found[2]


def writeoff(repo: Path, customer: str, amount: int) -> None:
    done = isk(
        repo,
        "pay",
        customer,
        str(amount),
        "--kind",
        "writeoff",
        "--reason",
        "moved away, unreachable",
    )
    assert done.returncode == 0, done.stderr


def test_status_free_is_refused_until_written_off(repo: Path) -> None:
    customer = repo / "state" / "customers" / "joko-susilo.yaml"
    before = owed(repo)
    edit(customer, "status: active", "status: free")
    line = refused(repo, "status")
    assert line.startswith("state/customers/joko-susilo.yaml:")
    assert "status active → free erases billed, unpaid invoices" in line
    assert debt_in(line) == ("Rp400.000", "Rp0")
    assert "--kind writeoff" in line
    assert owed(repo) == before - 400_000  # what the edit alone would do to receivables
    writeoff(repo, "joko-susilo", 400_000)
    done = isk(repo, "validate", "--base", "main")
    assert done.returncode == 0, done.stderr


def test_back_dated_end_is_refused(repo: Path) -> None:
    customer = repo / "state" / "customers" / "puskesmas-jati.yaml"
    edit(customer, "status: active", "status: terminated\nend: 2026-09-30")
    line = refused(repo, "status")
    assert "puskesmas-jati/2026-10-05" in line and "and 1 more" in line
    assert debt_in(line) == ("Rp600.000", "Rp0")


def test_end_moved_back_is_refused(repo: Path) -> None:
    customer = repo / "state" / "customers" / "mega-putri.yaml"
    edit(customer, "end: 2026-10-14", "end: 2026-09-01")
    line = refused(repo, "end")
    assert "the new end date erases" in line and "mega-putri/2026-09-15" in line
    assert debt_in(line) == ("Rp150.000", "Rp0")


def test_deleting_across_two_prs_is_refused_at_the_first(repo: Path) -> None:
    # A customer who never paid (a customer with ledger entries cannot be deleted at
    # all: the entries would name an unknown customer).
    source = (repo / "state" / "customers" / "heru-setiawan.yaml").read_text()
    customer = repo / "state" / "customers" / "new-neighbour.yaml"
    customer.write_text(source.replace("start: 2026-02-05", "start: 2026-10-20"))
    handle = git.Repo(repo)
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "new-neighbour joins")
    edit(customer, "status: active", "status: free")
    line = refused(repo, "status")  # PR 1 (set free) is refused on its own
    assert "new-neighbour/2026-10-20" in line and debt_in(line) == ("Rp300.000", "Rp0")
    customer.unlink()  # and so is deleting the file, in the same or a later PR
    line = refused(repo, "new-neighbour")
    assert "customer file deleted while new-neighbour still owes" in line
    assert debt_in(line) == ("Rp300.000", "Rp0")


def test_billing_mode_change_is_refused_with_receivables_before_and_after(repo: Path) -> None:
    settings = repo / "state" / "settings.yaml"
    before = owed(repo)
    edit(settings, "mode: prepaid ", "mode: postpaid")
    after = owed(repo)
    line = refused(repo, "billing")
    assert line.startswith("state/settings.yaml:")
    assert "the billing settings change erases billed, unpaid invoices" in line
    totals = re.search(r"receivables (Rp[\d.]+) → (Rp[\d.]+)", line)
    assert totals and (totals[1], totals[2]) == (_rp(before), _rp(after))
    assert after < before


def test_billing_cycle_change_is_refused(repo: Path) -> None:
    edit(repo / "state" / "settings.yaml", "cycle: monthly ", "cycle: 30d")
    assert "billing settings change" in refused(repo, "billing")


def test_a_settled_customer_may_become_free(repo: Path) -> None:
    state = load_state(repo)
    paid_up = next(
        cid
        for cid, c in sorted(state.customers.items())
        if c.status == "active" and standing(state, cid, date.fromisoformat(AS_OF)).balance >= 0
    )
    edit(repo / "state" / "customers" / f"{paid_up}.yaml", "status: active", "status: free")
    done = isk(repo, "validate", "--base", "main")
    assert done.returncode == 0, done.stderr


def test_writeoff_is_reported_apart_as_bad_debt(repo: Path) -> None:
    writeoff(repo, "joko-susilo", 400_000)
    state = load_state(repo, cache=False)
    (entry,) = [e for e in state.ledger if e.kind == "writeoff"]
    assert entry.reason == "moved away, unreachable" and entry.method is None
    assert standing(state, "joko-susilo", date.fromisoformat(AS_OF)).balance == 0
    done = isk(repo, "receivables")
    assert "written off (bad debt) to date: Rp400.000" in done.stdout
    done = isk(repo, "status", "--format", "json")

    assert json.loads(done.stdout)["total"]["written_off"] == 400_000


def test_writeoff_needs_a_reason(repo: Path) -> None:
    done = isk(repo, "pay", "joko-susilo", "1000", "--kind", "writeoff")
    assert done.returncode == 1 and "needs --reason" in done.stderr
    ledger = repo / "payments" / "2026-11.yaml"
    ledger.write_text(
        ledger.read_text() + "- id: P-2026-11-0999\n  customer: joko-susilo\n"
        "  amount: 1000\n  date: 2026-11-20\n  kind: writeoff\n"
    )
    done = isk(repo, "validate")
    assert done.returncode == 1 and "a writeoff needs a reason" in done.stderr


def _rp(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")
