"""`isk validate` checks each customer's `notify:` block and addresses against the
channels in settings: one line naming file:line, before anything is sent."""

from __future__ import annotations

import re

import pytest

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk

NOTIFY = """
channels:
  wa: {kind: fonnte, url: "http://127.0.0.1:9", token_env: ISK_NOTIFY_FONNTE}
  mail: {kind: email, host: 127.0.0.1, port: 9, sender: tagihan@netdesa.example}
  tg: {kind: telegram, token_env: ISK_NOTIFY_TG}
customers: [wa, mail]
"""


def validate(capsys, make_repo, extra: str, phone: str = "0812-1000-0001", *args: str):
    customers = {"budi": {"name": "Budi", "phone": phone, "start": "2026-10-10", "extra": extra}}
    repo = make_repo(NOTIFY, customers)
    code = run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-07", *(args or ("validate",))])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("extra", "line", "problem"),
    [
        ("notify: {opt_out: [whatsapp]}", 7, "unknown channel 'whatsapp'"),
        ("notify:\n  opt_out:\n    - wa\n    - sms", 10, "unknown channel 'sms'"),
        ("notify: {opt_out: wa}", 7, "opt_out"),
        ("notify: {telegram: 'chat budi'}", 7, "Telegram chat id"),
        ("notify: {sms: yes}", 7, "sms"),
    ],
)
def test_a_bad_notify_block_is_a_one_line_error_naming_file_and_line(
    capsys, make_repo, extra: str, line: int, problem: str
) -> None:
    code, _, err = validate(capsys, make_repo, extra)
    assert code == 1
    (error,) = [text for text in err.splitlines() if "budi.yaml" in text]
    assert re.search(rf"state/customers/budi\.yaml:{line}:\d+: ", error), error
    assert problem in error


def test_a_typo_in_an_opt_out_suggests_the_channel(capsys, make_repo) -> None:
    code, _, err = validate(capsys, make_repo, "notify: {opt_out: [mial]}")
    assert code == 1 and "did you mean 'mail'?" in err


def test_a_phone_no_gateway_can_use_is_a_warning_with_its_line(capsys, make_repo) -> None:
    code, out, err = validate(capsys, make_repo, "email: budi@", phone="12-34")
    assert code == 0 and "ok:" in out
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert any(
        re.search(r"state/customers/budi\.yaml:2:\d+: phone: '12-34' is not a phone", w)
        for w in warnings
    ), warnings
    assert any("budi.yaml:7:" in w and "email" in w for w in warnings), warnings


def test_the_plan_holds_back_what_validate_warned_about(capsys, make_repo) -> None:
    code, out, _ = validate(capsys, make_repo, "", "12-34", "notify", "plan")
    assert code == 0 and "no recipient for fonnte" in out


def test_no_warning_for_a_channel_the_customer_opted_out_of(capsys, make_repo) -> None:
    code, _, err = validate(capsys, make_repo, "notify: {opt_out: [wa]}", phone="12-34")
    assert code == 0 and "phone" not in err


@pytest.mark.parametrize(
    ("channel", "key", "problem"),
    [
        (
            "{kind: email, host: smtp.netdesa.example, security: insecure, sender: a@b.example}",
            "security",
            "the SMTP login and every message go in clear to smtp.netdesa.example",
        ),
        (
            "{kind: fonnte, url: 'http://wa.netdesa.example', token_env: ISK_NOTIFY_X}",
            "url",
            "http:// sends the ISK_NOTIFY_X token in clear to wa.netdesa.example (use https://)",
        ),
        (
            "{kind: json, url: 'json://hooks.netdesa.example/n', token_env: ISK_NOTIFY_X}",
            "url",
            "json:// sends the ISK_NOTIFY_X token in clear to hooks.netdesa.example (use jsons://)",
        ),
    ],
)
def test_a_channel_that_sends_its_credential_in_clear_is_a_warning_at_its_line(
    capsys, make_repo, channel: str, key: str, problem: str
) -> None:
    repo = make_repo(f"channels:\n  clear: {channel}\noperators: [clear]\n", {})
    code = run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-07", "validate"])
    _, err = capsys.readouterr()
    assert code == 0
    (warning,) = [line for line in err.splitlines() if "notify.channels.clear" in line]
    assert re.match(
        rf"warning: state/settings\.yaml:\d+:\d+: notify\.channels\.clear\.{key}: ", warning
    )
    assert problem in warning


def test_loopback_and_tls_channels_are_not_warned_about(capsys, make_repo) -> None:
    code, _, err = validate(capsys, make_repo, "")
    assert code == 0 and "notify.channels" not in err  # NOTIFY's channels: loopback, starttls


def test_the_clear_text_warning_is_in_the_repositorys_language(capsys, make_repo) -> None:
    clear = "{kind: fonnte, url: 'http://wa.netdesa.example', token_env: ISK_NOTIFY_X}"
    repo = make_repo(f"channels:\n  clear: {clear}\noperators: [clear]\n", {}, language="id")
    assert run_cli(isk, ["--repo", str(repo), "--as-of", "2026-11-07", "validate"]) == 0
    _, err = capsys.readouterr()
    assert "url: http:// mengirim token ISK_NOTIFY_X tanpa enkripsi ke wa.netdesa.example" in err
