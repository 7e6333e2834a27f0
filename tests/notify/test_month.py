"""A month of daily `isk notify send` runs against fake gateways on 127.0.0.1: as_of
advances, payments arrive, one day is missed, some days run twice. Every reminder goes
out exactly once, the missed day is caught up, and the outbox matches what the gateways
received."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import date, timedelta

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.notify.outbox import read_records

CUSTOMERS = {
    # Paid October; pays the 2026-11-10 invoice on 11-08, before the 1-day reminder.
    # Also told by e-mail and SMS.
    "budi": {
        "name": "Budi",
        "phone": "0812-1000-0001",
        "start": "2026-10-10",
        "extra": "email: budi@example.net",
    },
    # Paid October; never pays on time: reminders, overdue, suspended, pays 11-22, resumed.
    "siti": {
        "name": "Siti",
        "phone": "+62 812 1000 0002",
        "start": "2026-10-15",
        "extra": "email: siti@example.net\nnotify: {opt_out: [sms]}",
    },
    # WhatsApp opted out; told on Telegram (whose first two requests fail) and SMS.
    "ani": {
        "name": "Ani",
        "phone": "081210000003",
        "start": "2026-10-20",
        "extra": "notify: {opt_out: [wa], telegram: '777'}",
    },
    # Its WhatsApp number is refused by the gateway every time: operators are told.
    "dodi": {
        "name": "Dodi",
        "phone": "081299999999",
        "start": "2026-10-25",
        "extra": "notify: {opt_out: [sms]}",
    },
}
MISSED = date(2026, 11, 3)  # budi's 7-day reminder day: caught up on 11-04
TWICE = {date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 19), date(2026, 11, 22)}


def notify_settings(wa: str, tg: str, hook_port: int, smtp_port: int, sms: str) -> str:
    return f"""
channels:
  wa: {{kind: fonnte, url: "{wa}", token_env: ISK_NOTIFY_FONNTE, timeout: 2}}
  tg: {{kind: telegram, url: "{tg}", token_env: ISK_NOTIFY_TG, timeout: 2}}
  ops: {{kind: json, url: "json://127.0.0.1:{hook_port}/ops", to: noc, timeout: 2}}
  mail:
    kind: email
    host: 127.0.0.1
    port: {smtp_port}
    security: insecure
    sender: tagihan@netdesa.example
    user_env: ISK_NOTIFY_SMTP_USER
    token_env: ISK_NOTIFY_SMTP_PASSWORD
    timeout: 2
  sms: {{kind: smseagle, url: "{sms}", token_env: ISK_NOTIFY_SMS, timeout: 2}}
customers: [wa, tg, mail, sms]
operators: [ops]
reminder_days: [7, 3, 1]
whatsapp_delay: 0
max_attempts: 3
retry_minutes: 0
"""


def test_a_month_day_by_day(make_repo, pay, gateways, fake, smtp, monkeypatch) -> None:
    refused = "6281299999999"

    def whatsapp(n: int):
        target = wa.received[n].fields["target"]
        return fake.fonnte_refused(n) if target == refused else fake.fonnte_ok(n)

    wa = gateways(whatsapp)
    tg = gateways(fake.failing_first(2, fake.telegram_ok))
    hook = gateways(fake.webhook_ok)
    mail = smtp(password="smtp-pw-42")
    # The SMS gateway's first answer says in its body that it did not send (HTTP 200).
    sms = gateways(lambda n: fake.smseagle_refused(n) if n == 0 else fake.smseagle_ok(n))
    repo = make_repo(notify_settings(wa.url, tg.url, hook.port, mail.port, sms.url), CUSTOMERS)
    for cid, values in CUSTOMERS.items():
        pay(repo, f"P-2026-10-{len(cid):02d}{cid[0].upper()}", cid, 100000, values["start"])
    monkeypatch.setenv("ISK_NOTIFY_FONNTE", "fonnte-token")
    monkeypatch.setenv("ISK_NOTIFY_TG", "tg-token")
    monkeypatch.setenv("ISK_NOTIFY_SMTP_USER", "tagihan")
    monkeypatch.setenv("ISK_NOTIFY_SMTP_PASSWORD", "smtp-pw-42")
    monkeypatch.setenv("ISK_NOTIFY_SMS", "eagle-token")

    payments = {date(2026, 11, 8): "budi", date(2026, 11, 22): "siti"}
    day = date(2026, 11, 1)
    while day <= date(2026, 11, 30):
        if day in payments:
            pay(repo, f"P-2026-11-{day.day:04d}", payments[day], 100000, day.isoformat())
        if day != MISSED:
            for _ in range(2 if day in TWICE else 1):
                argv = ["--repo", str(repo), "--as-of", day.isoformat(), "notify", "send"]
                assert run_cli(isk, [*argv, "--commit"]) == 0, day
        day += timedelta(days=1)

    records = read_records(repo)
    delivered = [(r.key, r.channel) for r in records if r.ok]
    assert len(delivered) == len(set(delivered)), "something was delivered twice"
    by_key = {(r.key, r.channel): r for r in records if r.ok}

    wa_keys = {key for key, channel in delivered if channel == "wa"}
    assert {k for k in wa_keys if ":budi" in k or "budi/" in k or k.endswith("-0008")} == {
        "invoice.upcoming:budi/2026-11-10:7",
        "invoice.upcoming:budi/2026-11-10:3",
        "payment.received:P-2026-11-0008",
    }
    assert by_key[("invoice.upcoming:budi/2026-11-10:7", "wa")].as_of == "2026-11-04"  # caught up
    siti = {k for k in wa_keys if "siti" in k or k.endswith("-0022")}
    assert siti == {
        "invoice.upcoming:siti/2026-11-15:7",
        "invoice.upcoming:siti/2026-11-15:3",
        "invoice.upcoming:siti/2026-11-15:1",
        "invoice.overdue:siti/2026-11-15",
        "service.suspended:siti:1",
        "payment.received:P-2026-11-0022",
        "service.resumed:siti:2",
    }
    assert by_key[("service.suspended:siti:1", "wa")].as_of == "2026-11-19"
    assert by_key[("service.resumed:siti:2", "wa")].as_of == "2026-11-22"

    # Ani opted out of WhatsApp: only Telegram, where the first two tries failed.
    assert not any(r.customer == "ani" and r.channel == "wa" for r in records)
    ani = [r for r in records if r.customer == "ani" and r.channel == "tg"]
    assert [r.ok for r in ani[:3]] == [False, False, True]
    assert ani[2].attempt == 3 and ani[2].key == ani[0].key

    # Dodi's number is refused: at most 3 attempts per notice (fewer when its condition
    # ended first), and after the third one alert to the operators.
    assert not any(r.ok for r in records if r.customer == "dodi")
    dodi = Counter(r.key for r in records if r.customer == "dodi")
    assert max(dodi.values()) == 3
    gave_up = {key for key, count in dodi.items() if count == 3}
    alerts = [r for r in records if r.event == "notify.failed"]
    assert {r.key for r in alerts} == {f"notify.failed:{key}:wa" for key in gave_up}
    assert all(r.ok and r.channel == "ops" for r in alerts)

    # The outbox matches the gateways, request for request.
    wa_records = [r for r in records if r.channel == "wa"]
    assert [(r.to, r.ok, r.reply) for r in wa_records] == [
        (
            got.fields["target"],
            got.fields["target"] != refused,
            f"fonnte-{n}" if got.fields["target"] != refused else "",
        )
        for n, got in enumerate(wa.received)
    ]
    tg_records = [r for r in records if r.channel == "tg"]
    assert [(r.to, r.ok) for r in tg_records] == [("777", n >= 2) for n in range(len(tg.received))]
    assert len(hook.received) == len(alerts)
    assert {got.fields["key"] for got in hook.received} == {r.key for r in alerts}
    assert all(got.fields["to"] == "noc" for got in hook.received)
    check_email_and_sms(records, mail, sms)

    # A rerun delivers nothing again (it only retries what failed), and the outbox is
    # committed.
    assert run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-30", "notify", "send"]) == 0
    again = read_records(repo)
    assert [r for r in again if r.ok] == [r for r in records if r.ok]
    assert all(r.customer == "dodi" for r in again[len(records) :])
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "notifications"], check=True)

    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "notifications"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def check_email_and_sms(records: list, mail, sms) -> None:  # noqa: ANN001
    """The e-mail and SMS records match what the SMTP server and the SMS gateway got,
    each message complete (rendered subject and body, no password, no template left)."""
    mail_records = [r for r in records if r.channel == "mail"]
    assert {r.customer for r in mail_records} == {"budi", "siti"}  # who has an address
    assert all(r.ok for r in mail_records)
    assert [r.to for r in mail_records] == [got.recipients[0] for got in mail.received]
    for got in mail.received:
        message = got.parsed()
        body = message.get_content()
        assert got.login == ("tagihan", "smtp-pw-42")
        assert message["Subject"] and "{" not in message["Subject"] + body
        assert "Net Desa" in body and "smtp-pw-42" not in got.data.decode("latin-1")
        assert "plain-pass" not in body
    first = mail.received[0].parsed()
    assert first["Subject"] == "Reminder: home invoice Rp100.000 due 2026-11-10"
    assert "is due on 2026-11-10 (in 6 day(s))" in first.get_content()  # caught up

    sms_records = [r for r in records if r.channel == "sms"]
    assert {r.customer for r in sms_records} == {"budi", "ani"}  # siti and dodi opted out
    assert [(r.to, r.ok) for r in sms_records] == [
        (got.fields["params"]["to"], n > 0) for n, got in enumerate(sms.received)
    ]
    assert sms_records[1].key == sms_records[0].key  # the refused one, retried
    for got in sms.received:
        text = got.fields["params"]["message"]
        assert "{" not in text and "eagle-token" not in text and "plain-pass" not in text
