"""`isk notify plan|log|preview`, templates from the (untrusted) repository, opt-outs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.notify.phone import normalize_phone

NOTIFY = """
channels:
  wa: {kind: fonnte, url: "http://127.0.0.1:9", token_env: ISK_NOTIFY_FONNTE}
customers: [wa]
"""
CUSTOMERS = {
    "budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"},
    "siti": {"name": "Siti", "phone": "", "start": "2026-10-12"},
}


@pytest.fixture
def paid_repo(make_repo, pay):
    """make_repo, with every customer's first (October) invoice paid."""

    def build(notify: str, customers: dict, **kw: str) -> Path:
        repo = make_repo(notify, customers, **kw)
        for n, (cid, values) in enumerate(customers.items()):
            pay(repo, f"P-2026-10-{n + 1:04d}", cid, 100000, values["start"])
        return repo

    return build


def isk_out(capsys, repo: Path, *args: str) -> tuple[int, str, str]:
    code = run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-07", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_items_say_what_to_whom_and_why(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS)
    code, out, _ = isk_out(capsys, repo, "notify", "plan", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    (item,) = plan["items"]
    assert item["event"] == "invoice.upcoming"
    assert item["customer"] == "budi" and item["channel"] == "wa"
    assert item["key"] == "invoice.upcoming:budi/2026-11-10:3"
    assert item["to"] == "6281210000001"
    assert "Rp100.000" in item["message"] and "2026-11-10" in item["message"]
    assert "plain-pass" not in out  # never a password
    (held,) = plan["skipped"]
    assert held["customer"] == "siti" and "no recipient" in held["reason"]


def test_indonesian_messages(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS, language="id")
    code, out, _ = isk_out(capsys, repo, "notify", "plan")
    assert code == 0 and "jatuh tempo pada 2026-11-10" in out


def test_a_repository_template_overrides_ours(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS)
    folder = repo / "notifications" / "templates" / "en"
    folder.mkdir(parents=True)
    (folder / "invoice.upcoming.txt").write_text("Pay {{ amount }} by {{ due_date }}, {{ name }}")
    code, out, _ = isk_out(capsys, repo, "notify", "plan", "--format", "json")
    assert json.loads(out)["items"][0]["message"] == "Pay Rp100.000 by 2026-11-10, Budi"


@pytest.mark.parametrize(
    "template",
    [
        "Hi {{ nmae }}",  # a typo: never a message with an unrendered variable
        "{{ password }}",  # no password reaches a template
        "{{ ''.__class__.__mro__ }}",  # the sandbox refuses internals
        "{{ 10 ** 10 ** 10 }}",  # nor numbers big enough to hang the job
        "{% for x in %}",  # a syntax error
    ],
)
def test_a_bad_template_is_an_error_and_nothing_is_sent(paid_repo, capsys, template) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS)
    folder = repo / "notifications" / "templates" / "en"
    folder.mkdir(parents=True)
    (folder / "invoice.upcoming.txt").write_text(template)
    code, out, err = isk_out(capsys, repo, "notify", "plan", "--format", "json")
    assert code == 1
    assert json.loads(out)["items"] == []
    assert "notifications/templates/en/invoice.upcoming.txt" in err


def test_opt_out_of_an_unknown_channel_is_refused(paid_repo, capsys) -> None:
    customers = {"budi": {**CUSTOMERS["budi"], "extra": "notify: {opt_out: [whatsapp]}"}}
    repo = paid_repo(NOTIFY, customers)
    code, _, err = isk_out(capsys, repo, "notify", "plan")
    assert code == 1
    assert "state/customers/budi.yaml" in err and "unknown channel 'whatsapp'" in err


def test_a_token_variable_outside_isk_notify_is_refused(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY.replace("ISK_NOTIFY_FONNTE", "GITHUB_TOKEN"), CUSTOMERS)
    code, _, err = isk_out(capsys, repo, "notify", "plan")
    assert code == 1 and "ISK_NOTIFY_" in err


def test_send_refuses_without_the_token_and_records_nothing(paid_repo, capsys, monkeypatch):
    monkeypatch.delenv("ISK_NOTIFY_FONNTE", raising=False)
    repo = paid_repo(NOTIFY, CUSTOMERS)
    code, _, err = isk_out(capsys, repo, "notify", "send")
    assert code == 1 and "ISK_NOTIFY_FONNTE" in err
    assert not list((repo / "notifications").rglob("*.yaml"))


def test_dry_run_log_and_preview(paid_repo, capsys, gateways, fake, monkeypatch) -> None:
    gateway = gateways(fake.fonnte_ok)
    repo = paid_repo(NOTIFY.replace("http://127.0.0.1:9", gateway.url), CUSTOMERS)
    monkeypatch.setenv("ISK_NOTIFY_FONNTE", "t")
    code, out, _ = isk_out(capsys, repo, "notify", "send", "--dry-run")
    assert code == 0 and "nothing sent" in out and not gateway.received
    code, out, _ = isk_out(capsys, repo, "notify", "log")
    assert "no notifications recorded" in out
    assert isk_out(capsys, repo, "notify", "send")[0] == 0
    code, out, _ = isk_out(capsys, repo, "notify", "log", "--customer", "budi")
    assert "invoice.upcoming" in out and "ok fonnte-0" in out
    code, out, _ = isk_out(capsys, repo, "notify", "log", "--customer", "siti")
    assert "no notifications recorded for siti" in out
    code, out, _ = isk_out(
        capsys, repo, "notify", "preview", "service.suspended", "--language", "id"
    )
    assert code == 0 and "Net Desa" in out and "{{" not in out


def test_a_malformed_outbox_names_file_and_line(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS)
    outbox = repo / "notifications" / "outbox"
    outbox.mkdir(parents=True)
    (outbox / "2026-11.yaml").write_text("- key: a\n  event: b\n  channel: wa\n  ok: yes\n")
    code, _, err = isk_out(capsys, repo, "notify", "plan")
    assert code == 1 and "notifications/outbox/2026-11.yaml:1" in err and "time" in err


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("(0812) 3456.7890", "6281234567890"),
        ("812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("+44 20 7946 0958", "442079460958"),
        ("12345", None),
        ("phone", None),
        ("", None),
    ],
)
def test_phone_numbers_are_normalised_once(written: str, normal: str | None) -> None:
    assert normalize_phone(written) == normal


@given(st.text())
def test_any_phone_text_gives_digits_or_none(text: str) -> None:
    normal = normalize_phone(text)
    assert normal is None or (normal.isdigit() and normal.isascii() and 9 <= len(normal) <= 15)


@pytest.mark.parametrize(
    "url",
    ['"http://user:s3cret@example.invalid:9"', '"json://user:s3cret@127.0.0.1:9/x"'],
)
def test_a_credential_in_a_channel_url_is_refused_and_not_repeated(paid_repo, capsys, url):
    kind = "json" if url.startswith('"json') else "fonnte"
    notify = f"channels:\n  wa: {{kind: {kind}, url: {url}}}\ncustomers: [wa]\n"
    repo = paid_repo(notify, CUSTOMERS)
    code, _, err = isk_out(capsys, repo, "notify", "plan")
    assert code == 1 and "state/settings.yaml:" in err and "s3cret" not in err


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("en", "unpaid invoice budi/2026-10-10 (Rp100.000) due 2026-10-10, grace ended 2026-10-13"),
        (
            "id",
            "tagihan budi/2026-10-10 (Rp100.000) belum dibayar, jatuh tempo 10 Okt 2026, "
            "masa tenggang berakhir 13 Okt 2026",
        ),
    ],
)
def test_the_reason_in_a_message_is_in_the_messages_language(
    make_repo, capsys, language: str, reason: str
) -> None:
    """The core writes a standing's reason in English; an Indonesian SMS says it in
    Indonesian, an English one word for word."""
    unpaid = {"budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"}}
    repo = make_repo(NOTIFY, unpaid, language=language)
    plan = json.loads(isk_out(capsys, repo, "notify", "plan", "--format", "json")[1])
    (suspended,) = [item for item in plan["items"] if item["event"] == "service.suspended"]
    assert reason in suspended["message"], suspended["message"]
    if language == "id":
        assert "unpaid" not in suspended["message"] and "grace" not in suspended["message"]


def test_preview_shows_the_subject_and_names_a_close_customer(paid_repo, capsys) -> None:
    repo = paid_repo(NOTIFY, CUSTOMERS)
    code, out, _ = isk_out(capsys, repo, "notify", "preview", "service.suspended")
    assert code == 0
    subject, body = out.split("\n", 1)
    assert subject == "subject: Your internet service is suspended"
    assert body.startswith("Hello Budi Santoso")
    code, _, err = isk_out(
        capsys, repo, "notify", "preview", "invoice.upcoming", "--customer", "bud"
    )
    assert code == 1 and "no such customer: bud" in err and "'budi'" in err
