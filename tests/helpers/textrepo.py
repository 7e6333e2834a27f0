"""Tiny state repositories written as YAML text, and `isk` run in-process on them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from isk_reconcile.cli import _group as isk_group
from isk_reconcile.cli.context import run_cli

AS_OF = "2026-11-29"


def isk(repo: Path, *args: str, as_of: str = AS_OF) -> tuple[int, str, str]:
    """Run `isk` as the console script does; returns (exit code, stdout, stderr)."""
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(isk_group, ["--repo", str(repo), "--as-of", as_of, *args])
        return code, out.getvalue().decode(), err.getvalue().decode()


def isk_json(repo: Path, *args: str, as_of: str = AS_OF):
    code, out, err = isk(repo, *args, "--format", "json", as_of=as_of)
    assert (code, err) == (0, "")
    return json.loads(out)


def write_repo(root: Path, customers: dict[str, str], payments: str = "[]\n") -> Path:
    """A tiny state repository: one router `core`, package home-10m at Rp150.000, 30-day cycle."""
    files = {
        "state/settings.yaml": "billing: {cycle: 30d, mode: prepaid, grace_days: 3}\n"
        "secrets: {allow_plaintext: true}\n",
        "state/routers.yaml": "core: {host: 127.0.0.1, username: isk-api}\n"
        "edge: {host: 127.0.0.1, username: isk-api}\n",
        "state/profiles/home-10m.yaml": "price: 150000\nrate_limit: 10M/10M\n",
        "state/profiles/home-20m.yaml": "price: 200000\nrate_limit: 20M/20M\n",
        "payments/2026.yaml": payments,
    }
    files.update({f"state/customers/{cid}.yaml": body for cid, body in customers.items()})
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return root


def person(name: str, start: str = "2026-01-15", extra: str = "") -> str:
    return (
        f'name: {name}\nphone: "+62812000"\nrouter: core\nstart: {start}\nprofile: home-10m\n'
        f'pppoe: {{password: "s3cret-pw-{name.split()[0].lower()}"}}\n{extra}'
    )
