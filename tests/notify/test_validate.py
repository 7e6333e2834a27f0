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
