"""Payment links in reminders: made by `isk notify send` at a gateway (a fake Midtrans
Snap on 127.0.0.1), never by `isk notify plan`, reused on later runs, and never holding
up a reminder when the gateway fails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.notify.links import PENDING, read_links
from isk_reconcile.notify.outbox import read_records

CUSTOMERS = {
    "budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"},
    "siti": {"name": "Siti", "phone": "0812-1000-0002", "start": "2026-10-11"},
}
KEY = "SB-Mid-server-test-key"


def snap_ok(n: int) -> tuple[int, object]:
    return 201, {"token": f"snap-{n}", "redirect_url": f"https://pay.test/snap/{n}"}


@pytest.fixture
def isp(make_repo, pay, gateways, fake, monkeypatch):
    """A repo whose reminders go out on WhatsApp (a fake Fonnte); `snap` is a fake
    Midtrans, configured as the payment gateway when `gateway` is true."""

    def build(snap_behaviour=snap_ok, gateway: bool = True, language: str = "en"):
        wa = gateways(fake.fonnte_ok)
        snap = gateways(snap_behaviour)
        notify = f"""
channels:
  wa: {{kind: fonnte, url: "{wa.url}", token_env: ISK_NOTIFY_FONNTE, timeout: 2}}
customers: [wa]
whatsapp_delay: 0
"""
        repo = make_repo(notify, CUSTOMERS, language=language)
        for n, (cid, values) in enumerate(CUSTOMERS.items()):
            pay(repo, f"P-2026-10-{n + 1:04d}", cid, 100000, values["start"])
        if gateway:
            with (repo / "state" / "settings.yaml").open("a") as settings:
                settings.write(
                    "payments:\n  gateway: midtrans\n  link_expiry_hours: 168\n"
                    f"  midtrans: {{api_url: '{snap.url}', snap_url: '{snap.url}'}}\n"
                )
        monkeypatch.setenv("ISK_NOTIFY_FONNTE", "fonnte-token")
        monkeypatch.setenv("ISK_MIDTRANS_SERVER_KEY", KEY)
        return repo, wa, snap

    return build


def isk_run(capsys, repo: Path, day: str, *args: str) -> tuple[int, str, str]:
    code = run_cli(isk, ["--repo", str(repo), "--as-of", day, *args])
    out, err = capsys.readouterr()
    return code, out, err


def plan_items(capsys, repo: Path, day: str) -> list[dict]:
    code, out, _ = isk_run(capsys, repo, day, "notify", "plan", "--format", "json")
    assert code == 0
    return json.loads(out)["items"]


def test_plan_makes_no_link_send_makes_one_and_later_runs_reuse_it(isp, capsys) -> None:
    repo, wa, snap = isp()
    items = plan_items(capsys, repo, "2026-11-04")
    assert [item["payment_link"] for item in items] == ["made when sent"] * 2
    assert all(PENDING in item["message"] for item in items)
    assert not snap.received  # the plan asked no gateway

    code, out, _ = isk_run(capsys, repo, "2026-11-04", "notify", "send")
    assert code == 0 and "2 sent" in out
    assert len(snap.received) == 2  # one link per invoice
    order = snap.received[0].fields["transaction_details"]
    assert order["gross_amount"] == 100000
    assert order["order_id"].startswith("budi~20261110~")
    budi, siti = (got.fields["message"] for got in wa.received)
    assert "Pay online: https://pay.test/snap/0" in budi
    assert "Pay online: https://pay.test/snap/1" in siti
    assert all(PENDING not in got.fields["message"] for got in wa.received)
    assert KEY not in budi + siti
    links = read_links(repo)
    assert [(link.invoice, link.url) for link in links] == [
        ("budi/2026-11-10", "https://pay.test/snap/0"),
        ("siti/2026-11-11", "https://pay.test/snap/1"),
    ]

    # Three days later, the 3-day reminder: the plan shows the same link, still no
    # network, and the send reuses it.
    items = plan_items(capsys, repo, "2026-11-07")
    assert items[0]["key"] == "invoice.upcoming:budi/2026-11-10:3"
    assert items[0]["payment_link"] == "https://pay.test/snap/0"
    assert isk_run(capsys, repo, "2026-11-07", "notify", "send", "--commit")[0] == 0
    assert len(snap.received) == 2
    assert "https://pay.test/snap/0" in wa.received[2].fields["message"]
    # The link records are committed with the outbox: a fresh clone reuses them too.
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "notifications"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def test_a_failing_gateway_does_not_hold_up_the_reminders(isp, capsys) -> None:
    repo, wa, snap = isp(snap_behaviour=lambda n: (500, {"error_messages": ["down"]}))
    code, out, err = isk_run(capsys, repo, "2026-11-04", "notify", "send")
    assert code == 0 and "2 sent" in out
    assert len(snap.received) == 1  # one failure, then no more tries this run
    assert "no payment link" in err and KEY not in err
    for got in wa.received:
        assert "Pay online" not in got.fields["message"]
        assert "Pay via: BRI 0001." in got.fields["message"]  # the ISP's own details
    records = read_records(repo)
    assert all(r.ok and r.note.startswith("sent without a payment link") for r in records)
    assert not read_links(repo)


def test_without_the_gateway_key_reminders_go_out_without_a_link(isp, capsys, monkeypatch):
    repo, wa, snap = isp()
    monkeypatch.delenv("ISK_MIDTRANS_SERVER_KEY")
    code, _, err = isk_run(capsys, repo, "2026-11-04", "notify", "send")
    assert code == 0 and "ISK_MIDTRANS_SERVER_KEY" in err
    assert not snap.received and len(wa.received) == 2
    assert "ISK_MIDTRANS_SERVER_KEY" in read_records(repo)[0].note


@pytest.mark.parametrize("language", ["en", "id"])
def test_without_a_gateway_the_reminder_has_no_link_line(isp, capsys, language: str) -> None:
    repo, _, _ = isp(gateway=False, language=language)
    for day, event in (("2026-11-04", "invoice.upcoming"), ("2026-11-12", "invoice.overdue")):
        items = plan_items(capsys, repo, day)
        assert {item["event"] for item in items} == {event}
        for item in items:
            assert "payment_link" not in item
            assert "online" not in item["message"] and PENDING not in item["message"]
            assert not item["message"].rstrip().endswith(":")


def test_a_malformed_link_record_names_file_and_line(isp, capsys) -> None:
    repo, _, _ = isp()
    folder = repo / "notifications" / "links"
    folder.mkdir(parents=True)
    (folder / "2026-11.yaml").write_text("- invoice: budi/2026-11-10\n  amount: lots\n")
    code, _, err = isk_run(capsys, repo, "2026-11-04", "notify", "plan")
    assert code == 1 and "notifications/links/2026-11.yaml:1" in err
