"""`isk apply` posts operator alerts (summary, unreachable router) to a Telegram chat,
here a fake Bot API on 127.0.0.1; the router is the project's simulator over real TCP."""

from __future__ import annotations

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.notify.outbox import read_records
from isk_reconcile.sim import SimulatedRouter

CUSTOMERS = {
    "budi": {"name": "Budi", "phone": "0812-1000-0001", "start": "2026-10-10"},
    "siti": {"name": "Siti", "phone": "0812-1000-0002", "start": "2026-10-12"},
}


def operators(url: str) -> str:
    return f"""
channels:
  ops: {{kind: telegram, url: "{url}", token_env: ISK_NOTIFY_OPS_BOT, to: "-1001", timeout: 2}}
operators: [ops]
"""


def test_apply_posts_its_summary_to_the_operators_chat(
    make_repo, pay, gateways, fake, monkeypatch, capsys
) -> None:
    telegram = gateways(fake.telegram_ok)
    repo = make_repo(operators(telegram.url), CUSTOMERS)
    pay(repo, "P-2026-10-0001", "budi", 100000, "2026-10-10")  # siti never pays: disabled
    monkeypatch.setenv("ISK_NOTIFY_OPS_BOT", "bot-token")
    monkeypatch.setenv("ISK_ROUTER_CORE_PASSWORD", "pw")
    with SimulatedRouter(identity="core", users={"admin": "pw"}) as router:
        (repo / "state" / "routers.yaml").write_text(
            f"core:\n  host: 127.0.0.1\n  port: {router.port}\n"
        )
        argv = ["--repo", str(repo), "--as-of", "2026-10-20", "apply", "--auto-approve", "--force"]
        assert run_cli(isk, argv) == 0
    (request,) = telegram.received
    assert request.path == "/botbot-token/sendMessage"
    assert request.fields["chat_id"] == "-1001"
    text = request.fields["text"]
    assert text.startswith("[Net Desa] isk apply 2026-10-20: core:")
    assert "create" in text and "pw" not in text.replace("write(s)", "")
    (record,) = read_records(repo)
    assert record.event == "apply.summary" and record.ok and record.reply == "1000"


def test_an_unreachable_router_is_told_once_a_day(
    make_repo, gateways, fake, monkeypatch, capsys
) -> None:
    telegram = gateways(fake.telegram_ok)
    repo = make_repo(operators(telegram.url), CUSTOMERS)  # routers.yaml: port 1, nothing there
    monkeypatch.setenv("ISK_NOTIFY_OPS_BOT", "bot-token")
    monkeypatch.setenv("ISK_ROUTER_CORE_PASSWORD", "pw")
    argv = ["--repo", str(repo), "--as-of", "2026-10-20", "apply", "--auto-approve", "--force"]
    assert run_cli(isk, argv) == 1
    assert run_cli(isk, argv) == 1  # the rerun is not told again
    (request,) = telegram.received
    assert "router core unreachable on 2026-10-20" in request.fields["text"]
    assert [r.key for r in read_records(repo)] == ["router.unreachable:core:2026-10-20"]


def test_a_failing_operator_chat_does_not_fail_the_apply(
    make_repo, gateways, fake, monkeypatch, capsys
) -> None:
    telegram = gateways(lambda n: (401, {"ok": False, "description": "Unauthorized"}))
    repo = make_repo(operators(telegram.url), CUSTOMERS)
    monkeypatch.setenv("ISK_NOTIFY_OPS_BOT", "bot-token")
    monkeypatch.setenv("ISK_ROUTER_CORE_PASSWORD", "pw")
    argv = ["--repo", str(repo), "--as-of", "2026-10-20", "apply", "--auto-approve", "--force"]
    assert run_cli(isk, argv) == 1  # the router's error, as without notifications
    err = capsys.readouterr().err
    assert "Unauthorized" in err and "bot-token" not in err
    (record,) = read_records(repo)
    assert not record.ok and "Unauthorized" in record.error
