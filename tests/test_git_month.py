"""A realistic month of a small ISP, driven through a real git repository.

Admins add customers with `isk customer add`, the cashier records payments with
`isk pay --commit`, time passes (as-of), a pull request that edits a merged ledger
entry is caught by `isk validate --base main`, and `isk history` shows who did what
and the suspensions and re-enables that followed.
"""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk

PROJECT = Path(__file__).resolve().parent.parent
RECIPIENT = (PROJECT / "demo" / "age-recipient.txt").read_text().strip()

ANDI = ("Andi Admin", "andi@isk.example")
RINA = ("Rina Admin", "rina@isk.example")
DEWI = ("Dewi Kasir", "dewi@isk.example")


class Isp:
    """The ISP's state repository and the people who work on it."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.git = git.Repo.init(root, initial_branch="main")

    def as_person(self, person: tuple[str, str], when: str) -> None:
        """Who is at the keyboard (git config) and when (commit dates) from now on."""
        with self.git.config_writer() as config:
            config.set_value("user", "name", person[0])
            config.set_value("user", "email", person[1])
        for variable in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            self.monkeypatch.setenv(variable, f"{when}T09:00:00+07:00")

    def isk(self, as_of: str, *args: str) -> tuple[int, str, str]:
        code = run_cli(isk, ["--repo", str(self.root), "--as-of", as_of, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, as_of: str, *args: str) -> str:
        code, out, err = self.isk(as_of, *args)
        assert code == 0, err
        return out

    def write(self, relpath: str, text: str) -> None:
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit_all(self, message: str) -> None:
        self.git.git.add("-A")
        self.git.git.commit("-q", "-m", message)


@pytest.fixture
def isp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_identity: Path, capsys) -> Isp:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    shop = Isp(tmp_path / "isp", monkeypatch, capsys)
    shop.write(
        "state/settings.yaml",
        "# ISK-NET mini\nbilling:\n  cycle: monthly\n  mode: prepaid\n  grace_days: 3\n"
        f"secrets:\n  recipients: [{RECIPIENT}]\n",
    )
    shop.write(
        "state/routers.yaml",
        "core:\n  host: 127.0.0.1\n  port: 18999\n  username: isk-api\n",
    )
    shop.write("state/profiles/home-10m.yaml", "description: Rumah 10M\nprice: 150000\n")
    shop.write("state/profiles/home-20m.yaml", "description: Rumah 20M\nprice: 200000\n")
    shop.write("payments/.keep", "")
    shop.as_person(RINA, "2026-10-31")
    shop.commit_all("ISK-NET: routers and packages")
    return shop


def test_a_month_in_git(isp: Isp) -> None:
    # 1 Nov: Andi signs up Budi; the cashier records his first payment the same day.
    isp.as_person(ANDI, "2026-11-01")
    out = isp.ok(
        "2026-11-01",
        "customer",
        "add",
        "budi",
        "--name",
        "Budi Santoso",
        "--router",
        "core",
        "--profile",
        "home-10m",
        "--phone",
        "081234567890",
        "--commit",
    )
    assert "PPPoE password (shown once" in out
    assert isp.git.head.commit.message.strip() == "customer: add budi (Budi Santoso) on core"
    isp.as_person(DEWI, "2026-11-01")
    out = isp.ok(
        "2026-11-01",
        "pay",
        "budi",
        "150000",
        "--method",
        "transfer",
        "--reference",
        "BCA 0111-01",
        "--commit",
    )
    assert "P-2026-11-0001" in out and "paid through 2026-11-30" in out
    assert isp.git.head.commit.message.strip() == (
        "payment: P-2026-11-0001 budi Rp150.000 transfer"
    )

    # 2 Nov: Rina signs up Siti, who does not pay on time.
    isp.as_person(RINA, "2026-11-02")
    isp.ok(
        "2026-11-02",
        "customer",
        "add",
        "siti",
        "--name",
        "Siti Aminah",
        "--router",
        "core",
        "--profile",
        "home-20m",
        "--commit",
    )
    assert isp.git.head.commit.author.name == "Rina Admin"

    # 8 Nov: Siti pays in cash, a week late (the cashier types 250.000 instead of 200.000).
    isp.as_person(DEWI, "2026-11-08")
    out = isp.ok("2026-11-08", "pay", "siti", "Rp250.000", "--commit")
    assert "P-2026-11-0002" in out and "enabled" in out

    # 15 Nov: Andi schedules Budi's upgrade from his next period, by editing the file.
    isp.as_person(ANDI, "2026-11-15")
    budi = isp.root / "state/customers/budi.yaml"
    text = budi.read_text()
    profile_line = next(line for line in text.splitlines() if line.startswith("profile:"))
    budi.write_text(
        text.replace(
            profile_line,
            "profile: [{from: 2026-11-01, value: home-10m}, {from: 2026-12-01, value: home-20m}]",
        )
    )
    isp.git.git.add("state/customers/budi.yaml")
    isp.git.git.commit("-q", "-m", "budi: upgrade to home-20m from December")
    assert isp.isk("2026-11-15", "validate", "--base", "HEAD~1")[0] == 0

    # 20 Nov: a pull request "fixes" Siti's payment by editing the merged entry.
    isp.as_person(RINA, "2026-11-20")
    isp.git.git.checkout("-q", "-b", "fix-siti")
    ledger = isp.root / "payments/2026-11.yaml"
    merged = ledger.read_text()
    siti_entry = merged[merged.index("- id: P-2026-11-0002") :]
    ledger.write_text(merged.replace(siti_entry, siti_entry.replace("250000", "200000")))
    code, out, err = isp.isk("2026-11-20", "validate", "--base", "main")
    assert code == 1
    assert "payments/2026-11.yaml:" in err and "P-2026-11-0002" in err
    assert "append-only" in err and "refund or credit" in err
    # The right way: put the entry back and add a refund.
    ledger.write_text(merged)
    out = isp.ok(
        "2026-11-20",
        "pay",
        "siti",
        "50000",
        "--kind",
        "refund",
        "--note",
        "paid too much",
        "--commit",
    )
    assert "P-2026-11-0003" in out
    assert isp.ok("2026-11-20", "validate", "--base", "main").startswith("ok:")
    isp.git.git.checkout("-q", "main")
    isp.git.git.merge("-q", "--no-ff", "fix-siti", "-m", "Merge fix-siti")
    assert ledger.read_bytes().startswith(merged.encode())

    # 29 Nov: the auditor reads Siti's timeline.
    document = json.loads(isp.ok("2026-11-29", "history", "siti", "--format", "json"))
    events = document["events"]
    created = next(e for e in events if e["kind"] == "created")
    assert created["commit"]["author"] == "Rina Admin"
    assert created["commit"]["subject"] == "customer: add siti (Siti Aminah) on core"
    assert any(c["field"] == "pppoe.password" and c["to"] == "(hidden)" for c in created["changes"])
    ledger_events = {e["summary"].split()[1]: e for e in events if e["kind"] == "ledger"}
    assert set(ledger_events) == {"P-2026-11-0002", "P-2026-11-0003"}
    assert ledger_events["P-2026-11-0002"]["commit"]["author"] == "Dewi Kasir"
    assert ledger_events["P-2026-11-0003"]["commit"]["author"] == "Rina Admin"
    standing = [(e["date"], e["summary"].split()[0]) for e in events if e["kind"] == "standing"]
    assert standing == [
        ("2026-11-02", "enabled"),
        ("2026-11-06", "suspended"),  # due 2 Nov, grace ended 5 Nov
        ("2026-11-08", "re-enabled"),
    ]
    suspended = next(e for e in events if e["kind"] == "standing" and "suspended" in e["summary"])
    assert "siti/2026-11-02" in suspended["summary"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)

    # Budi's timeline in the table format: his upgrade, field by field, with its author.
    table = isp.ok("2026-11-29", "history", "budi")
    changed = next(line for line in table.splitlines() if " changed " in line)
    assert "Andi Admin" in changed and "upgrade to home-20m" in changed
    assert "profile: home-10m → [{from: 2026-11-01, value: home-10m}" in table
    assert "Dewi Kasir" in table and "P-2026-11-0001" in table
    assert "suspended" not in table
