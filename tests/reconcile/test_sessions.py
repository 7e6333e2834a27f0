"""`isk sessions`: /ppp/active joined with standings, against a simulated router."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from isk_reconcile.cli import _group as isk_group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.routeros.types import SECRET
from isk_reconcile.sim import SimulatedRouter

AS_OF = "2026-11-29"


def isk(repo: Path, *args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(isk_group, ["--repo", str(repo), "--as-of", AS_OF, *args])
        return code, out.getvalue().decode(), err.getvalue().decode()


def customer(name: str, start: str = "2026-11-20", **extra: str) -> str:
    lines = [f"name: {name}", "router: r1", f"start: {start}", "profile: home", "adopt: true"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def isp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, SimulatedRouter]]:
    sim = SimulatedRouter(identity="r1", users={"isk": "pw"}).start()
    monkeypatch.setenv("ISK_ROUTER_R1_PASSWORD", "pw")
    files = {
        "state/settings.yaml": "billing: {cycle: 30d, grace_days: 3}\n"
        "secrets: {allow_plaintext: true}\n",
        "state/routers.yaml": f"r1: {{host: 127.0.0.1, port: {sim.port}, username: isk, "
        "password_env: ISK_ROUTER_R1_PASSWORD}\n",
        "state/profiles/home.yaml": "price: 100000\n",
        # paid, online; paid, offline; unpaid past grace but still online; manual; staff
        "state/customers/ani.yaml": customer("Ani"),
        "state/customers/budi.yaml": customer("Budi"),
        "state/customers/cici.yaml": customer("Cici", start="2026-10-01"),
        "state/customers/dodo.yaml": customer("Dodo", status="suspended"),
        "payments/2026.yaml": "- {id: P-1, customer: ani, amount: 100000, date: 2026-11-20,"
        " kind: payment, method: cash}\n"
        "- {id: P-2, customer: budi, amount: 100000, date: 2026-11-20,"
        " kind: payment, method: cash}\n",
    }
    repo = tmp_path / "isp"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    sim.add_session("ani", address="10.20.0.2", caller_id="AA:BB:CC:00:00:01")
    sim.add_session("cici", address="10.20.0.3")
    sim.add_session("teknisi", address="10.20.0.9")  # a hand-made account, no customer
    try:
        yield repo, sim
    finally:
        sim.stop()


def test_sessions_show_who_is_online_and_what_disagrees(isp: tuple[Path, SimulatedRouter]) -> None:
    repo, sim = isp
    code, out, err = isk(repo, "sessions", "--format", "json")
    assert code == 0, err
    rows = {row["username"]: row for row in json.loads(out)}
    assert set(rows) == {"ani", "cici", "teknisi", "budi"}
    assert rows["ani"] | {} == {
        "router": "r1", "customer": "ani", "username": "ani", "online": True,
        "address": "10.20.0.2", "caller_id": "AA:BB:CC:00:00:01", "uptime": rows["ani"]["uptime"],
        "standing": "active", "access": "enabled", "note": "",
    }  # fmt: skip
    assert (rows["cici"]["standing"], rows["cici"]["note"]) == (
        "suspended-unpaid", "suspended but online",
    )  # fmt: skip
    assert rows["budi"]["online"] is False and rows["budi"]["note"] == "paid but offline"
    assert rows["teknisi"]["customer"] is None
    assert rows["teknisi"]["note"] == "no customer has this username"
    assert "dodo" not in rows  # suspended by hand and offline: nothing to point out
    assert sim.items(SECRET) == []  # read only


def test_one_customer_and_csv(isp: tuple[Path, SimulatedRouter]) -> None:
    repo, _ = isp
    code, out, _ = isk(repo, "sessions", "--customer", "cici", "--format", "csv")
    assert code == 0
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["customer"], row["online"], row["note"]) == ("cici", "true", "suspended but online")
    code, _, err = isk(repo, "sessions", "--customer", "cic")
    assert code == 1 and "did you mean 'cici'" in err


def test_table_and_an_unreachable_router(isp: tuple[Path, SimulatedRouter]) -> None:
    repo, sim = isp
    code, out, _ = isk(repo, "sessions")
    assert code == 0 and "Sessions as of 2026-11-29: 3 online" in out
    assert "suspended but online" in out and "paid but offline" in out
    sim.stop()
    code, out, err = isk(repo, "sessions")
    assert code == 1 and "r1" in err and "0 online" in out
