"""The daily job in both CI templates runs `isk apply`, then `isk notify send`."""

from __future__ import annotations

import yaml

from isk_reconcile.gitops.ci_templates import render, secret_names
from isk_reconcile.state.loader import load_state


def test_both_templates_send_notifications_after_apply(example_repo) -> None:
    state = load_state(example_repo)
    github = yaml.safe_load(render("github", state)[1])
    runs = [step.get("run", "") for step in github["jobs"]["apply"]["steps"]]
    apply_at = next(i for i, run in enumerate(runs) if "isk apply" in run)
    send_at = next(i for i, run in enumerate(runs) if "isk notify send --commit" in run)
    assert apply_at < send_at
    assert github["jobs"]["apply"]["permissions"]["contents"] == "write"
    gitlab = yaml.safe_load(render("gitlab", state)[1])
    script = gitlab["apply"]["script"]
    assert script.index("isk apply --auto-approve") < script.index("isk notify send --commit")


def test_gateway_tokens_are_pipeline_secrets(example_repo) -> None:
    state = load_state(example_repo)
    tokens = {c.token_env for c in state.settings.notify.channels.values() if c.token_env}
    assert tokens and tokens <= set(secret_names(state))
    github = yaml.safe_load(render("github", state)[1])
    # least privilege: the tokens are on the notification step only, not the whole workflow
    steps = {step.get("name"): step for step in github["jobs"]["apply"]["steps"]}
    notify = steps["Send notifications and commit the outbox"]
    assert all(notify["env"][name] == f"${{{{ secrets.{name} }}}}" for name in tokens)
    assert not set(tokens) & set(steps["Apply"]["env"])
    assert "env" not in github


def test_email_login_and_payment_key_are_notification_secrets(example_repo) -> None:
    from isk_reconcile.gateway.midtrans import KEY_VARIABLE as MIDTRANS
    from isk_reconcile.gateway.xendit import KEY_VARIABLE as XENDIT
    from isk_reconcile.gitops.ci_templates import PAYMENT_KEYS, notify_secrets

    assert PAYMENT_KEYS == {"midtrans": MIDTRANS, "xendit": XENDIT}
    settings = example_repo / "state" / "settings.yaml"
    text = (
        settings.read_text()
        .replace(
            "notify:\n",
            "payments: {gateway: xendit}\nnotify:\n",
            1,
        )
        .replace(
            "  channels:\n",
            "  channels:\n    mail: {kind: email, host: smtp.example.net, sender: a@example.net,"
            " user_env: ISK_NOTIFY_SMTP_USER, token_env: ISK_NOTIFY_SMTP_PASSWORD}\n",
            1,
        )
    )
    settings.write_text(text + "payments: {gateway: xendit}\n")
    names = notify_secrets(load_state(example_repo))
    assert {"ISK_NOTIFY_SMTP_USER", "ISK_NOTIFY_SMTP_PASSWORD", XENDIT} <= set(names)
