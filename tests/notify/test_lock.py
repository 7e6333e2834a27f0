"""`isk notify send` writes the outbox under the repository lock `isk pay` holds: real
processes on a real git repository, a real gateway on 127.0.0.1 that holds its first
reply until the test lets it go."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.notify.outbox import read_records
from isk_reconcile.state.lock import repository_lock
from tests.helpers.process import ISK

CUSTOMERS = {
    "budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"},
    "siti": {"name": "Siti", "phone": "0812-1000-0002", "start": "2026-10-11"},
    "ani": {"name": "Ani", "phone": "0812-1000-0003", "start": "2026-10-12"},
}
ENV = {"ISK_NOTIFY_FONNTE": "fonnte-token", "NO_COLOR": "1"}


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    environ = {key: value for key, value in os.environ.items() if key != "ISK_REPO"}
    return subprocess.Popen(
        [str(ISK), "--repo", str(repo), "--as-of", "2026-11-07", *args],
        env={**environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return done.stdout


def wait_for(condition, what: str, seconds: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_pay_waits_for_a_send_in_progress_and_nothing_is_lost(
    make_repo, pay, gateways, fake
) -> None:
    release = threading.Event()

    def held_first(n: int):
        if n == 0:
            release.wait(60)
        return fake.fonnte_ok(n)

    gateway = gateways(held_first)
    notify = f"""
channels:
  wa: {{kind: fonnte, url: "{gateway.url}", token_env: ISK_NOTIFY_FONNTE, timeout: 60}}
customers: [wa]
whatsapp_delay: 0
"""
    repo = make_repo(notify, CUSTOMERS)
    for n, (cid, values) in enumerate(CUSTOMERS.items()):
        pay(repo, f"P-2026-10-{n + 1:04d}", cid, 100000, values["start"])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "October paid")
    ledger = repo / "payments" / "2026-11.yaml"

    sender = start(repo, "notify", "send", "--commit")
    wait_for(lambda: gateway.received, "the first send reached the gateway")
    # The sender holds the repository lock while its send is in flight...
    with pytest.raises(IskError, match="still writing"), repository_lock(repo, wait=0):
        pass
    payer = start(repo, "pay", "budi", "100000", "--method", "transfer", "--commit")
    # ...so `isk pay` waits for it: nothing written while the gateway has not answered.
    with pytest.raises(subprocess.TimeoutExpired):
        payer.wait(timeout=2)
    assert not ledger.exists()
    release.set()

    sent_out, sent_err = sender.communicate(timeout=120)
    paid_out, paid_err = payer.communicate(timeout=120)
    assert sender.returncode == 0, sent_err
    assert payer.returncode == 0, paid_err
    assert "3 sent, 0 failed" in sent_out

    # Nothing lost: three reminders recorded once each, the payment in the ledger, both
    # committed, the work tree as committed.
    records = read_records(repo)
    assert sorted(r.customer for r in records if r.ok) == ["ani", "budi", "siti"]
    assert len(records) == len(gateway.received) == 3
    assert "budi" in ledger.read_text()
    subjects = git(repo, "log", "--format=%s").splitlines()
    assert any(s.startswith("payment: P-2026-11-") for s in subjects), subjects
    assert any(s.startswith("notify: 2026-11-07: 3 sent") for s in subjects), subjects
    assert git(repo, "status", "--porcelain", "payments", "notifications") == ""

    # A rerun sends none of the reminders again; budi's receipt is new.
    again = start(repo, "notify", "send")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert [r.event for r in read_records(repo)[3:]] == ["payment.received"]


def test_a_sender_killed_mid_send_is_reported_by_the_next_writer(
    make_repo, pay, gateways, fake
) -> None:
    release = threading.Event()

    def held_second(n: int):
        if n == 1:
            release.wait(60)
        return fake.fonnte_ok(n)

    gateway = gateways(held_second)
    notify = f"""
channels:
  wa: {{kind: fonnte, url: "{gateway.url}", token_env: ISK_NOTIFY_FONNTE, timeout: 60}}
customers: [wa]
whatsapp_delay: 0
"""
    repo = make_repo(notify, CUSTOMERS)
    for n, (cid, values) in enumerate(CUSTOMERS.items()):
        pay(repo, f"P-2026-10-{n + 1:04d}", cid, 100000, values["start"])
    sender = start(repo, "notify", "send")
    wait_for(lambda: len(gateway.received) == 2, "the second send reached the gateway")
    sender.kill()  # between the second send and its record
    sender.communicate(timeout=60)
    release.set()
    assert len(read_records(repo)) == 1

    payer = start(repo, "pay", "siti", "100000", "--method", "transfer")
    _, err = payer.communicate(timeout=120)
    assert payer.returncode == 0, err
    assert "unfinished earlier write: notifications/outbox/" in err
    assert "`isk notify send`, which did not finish" in err

    # The unrecorded notification is sent again (at least once, never lost); the
    # recorded one is not.
    again = start(repo, "notify", "send")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    records = read_records(repo)
    assert len({r.key for r in records}) == len(records) == 3
    assert len(gateway.received) == 4
