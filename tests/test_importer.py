"""importer: adopting a live (simulated) router — import, validate, plan, apply, plan empty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from isk_reconcile.billing.engine import standings
from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.gitops.importer import customer_id_for, import_router
from isk_reconcile.reconcile.apply import run_apply, run_plan
from isk_reconcile.routeros.types import PROFILE, SECRET, LiveItem, LiveState
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state.encryption import encrypt
from isk_reconcile.state.loader import load_state

PROJECT = Path(__file__).resolve().parent.parent
RECIPIENT = (PROJECT / "demo" / "age-recipient.txt").read_text().strip()
AS_OF = date(2026, 11, 29)
API_PASSWORD = "sim-pass"
VARIABLE = "ISK_ROUTER_EDGE_PASSWORD"
SECRET_COUNT = 300


def _write_repo(root: Path, port: int) -> Path:
    (root / "state" / "profiles").mkdir(parents=True)
    (root / "state" / "customers").mkdir()
    (root / "payments").mkdir()
    (root / "state" / "settings.yaml").write_text(
        f"secrets:\n  recipients: [{RECIPIENT}]\nsuspend:\n  mode: disable\n"
    )
    (root / "state" / "routers.yaml").write_text(
        f"edge:\n  host: 127.0.0.1\n  port: {port}\n  username: isk-api\n"
        f"  password_env: {VARIABLE}\n"
    )
    # Already in the repo: one package and one customer, which import must leave alone.
    (root / "state" / "profiles" / "home-10m.yaml").write_text(
        "description: Rumah 10M\nprice: 150000\nrate_limit: 10M/10M\nremote_address: pool-home\n"
    )
    (root / "state" / "customers" / "known.yaml").write_text(
        "name: Known\nrouter: edge\nstart: 2026-11-01\nprofile: home-10m\nstatus: free\n"
        f"pppoe:\n  username: known\n  password: {encrypt('x1', [RECIPIENT])}\n"
    )
    return root


def _seed(sim: SimulatedRouter) -> None:
    sim.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"})
    sim.add(PROFILE, {"name": "home-10m", "rate-limit": "10M/10M", "remote-address": "pool-home"})
    sim.add(
        PROFILE,
        {
            "name": "home-20m",
            "rate-limit": "20M/20M",
            "local-address": "10.9.0.1",
            "remote-address": "pool-home",
            "dns-server": "8.8.8.8,1.1.1.1",
            "only-one": "yes",
            "comment": "Paket 20M",
        },
    )
    sim.add(PROFILE, {"name": "biz", "rate-limit": "50M/50M 60M/60M 40M/40M 10/10"})
    sim.add(SECRET, {"name": "known", "password": "x1", "profile": "home-10m", "service": "pppoe"})
    sim.add(SECRET, {"name": "on-default", "password": "x2"})  # built-in profile: skipped
    profiles = ["home-10m", "home-20m", "biz"]
    for number in range(SECRET_COUNT):
        attrs = {
            "name": ["user", "User.", "0"][number % 3] + f"{number:03d}",
            # digit-only passwords come back from librouteros as ints
            "password": f"{number:06d}" if number % 5 == 0 else f"pw-{number}x",
            "profile": profiles[number % 3],
            "service": "any" if number % 7 == 0 else "pppoe",
        }
        if number % 4 == 0:
            attrs["remote-address"] = f"10.20.{number // 250}.{number % 250 + 2}"
        if number % 6 == 0:
            attrs["caller-id"] = f"AA:BB:CC:00:{number // 256:02X}:{number % 256:02X}"
        if number % 3 == 1:
            attrs["comment"] = f"Pelanggan {number} - ODP {number % 9}"
        if number % 10 == 3 and profiles[number % 3] != "biz":
            attrs["disabled"] = "yes"
        sim.add(SECRET, attrs)


@pytest.fixture
def router(tmp_path: Path, demo_identity: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    sim = SimulatedRouter(identity="edge", users={"isk-api": API_PASSWORD}).start()
    try:
        _seed(sim)
        monkeypatch.setenv(VARIABLE, API_PASSWORD)
        yield _write_repo(tmp_path / "isp", sim.port), sim
    finally:
        sim.stop()


def test_import_round_trip(router, capsys: pytest.CaptureFixture[str]) -> None:
    repo, sim = router
    before = {item["name"]: item for item in sim.items(SECRET)}
    code = run_cli(
        isk,
        [
            "--repo",
            str(repo),
            "--as-of",
            AS_OF.isoformat(),
            "import",
            "--router",
            "edge",
            "--price",
            "home-20m=200000",
        ],
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "on-default" in err  # skipped, with the reason
    assert "TODO: set the price in state/profiles/biz.yaml" in out

    state = load_state(repo, cache=False)
    assert set(state.profiles) == {"home-10m", "home-20m", "biz"}
    assert state.profiles["biz"].price is None
    assert "TODO" in (repo / "state/profiles/biz.yaml").read_text()
    assert state.profiles["home-20m"].price.at(AS_OF) == 200000
    imported = [c for c in state.customers.values() if c.adopt]
    assert len(imported) == SECRET_COUNT
    by_username = {c.username: c for c in imported}
    assert by_username["0002"].id == "0002" and by_username["User.001"].id == "user.001"
    assert by_username["User.001"].notes == "Pelanggan 1 - ODP 1"
    assert by_username["User.001"].name == "Pelanggan 1"  # split from the comment
    assert by_username["user012"].pppoe.remote_address == "10.20.0.14"
    assert by_username["user012"].pppoe.caller_id == "AA:BB:CC:00:00:0C"
    # disabled without a reason in its comment: unpaid since import, so it stays disabled
    assert by_username["User.013"].status == "active"
    assert standings(state, AS_OF)[by_username["User.013"].id].access == "suspended"
    # enabled: paid through the end of the period that starts on import day
    assert by_username["user012"].opening.paid_through == date(2026, 12, 28)
    assert standings(state, AS_OF)[by_username["user012"].id].access == "enabled"
    assert standings(state, AS_OF)["user012"].invoices == ()  # no invented debt
    assert by_username["user000"].pppoe.service == "any"
    assert by_username["0002"].status == "free"  # biz has no price yet
    assert all(c.pppoe.password.startswith("age:") for c in imported)
    for username in ("user000", "0002"):
        assert before[username]["password"] not in out + err

    plan = run_plan(state, AS_OF, adopt=True)
    (edge,) = plan.routers
    assert edge.status == "ok", edge.error
    assert edge.changes, "adoption writes the ownership comment"
    for change in edge.changes:
        assert change.action == "update", change
        assert set(change.fields) == {"comment"}, change
    adopted = {change.name for change in edge.changes if change.kind == "secret"}
    assert adopted == {c.username for c in imported} | {"known"}
    assert {c.name for c in edge.changes if c.kind == "profile"} == {"home-10m", "home-20m", "biz"}

    report = run_apply(plan, state)
    assert all(result.status != "error" for result in report.routers), report

    again = run_plan(load_state(repo, cache=False), AS_OF, adopt=True)
    assert [c for c in again.routers[0].changes if c.kind != "session"] == []
    after = {item["name"]: item for item in sim.items(SECRET)}
    for name, item in before.items():
        unchanged = {k: v for k, v in item.items() if k not in ("comment", ".id")}
        assert {k: after[name].get(k) for k in unchanged} == unchanged


def test_second_import_finds_nothing_new(router, capsys: pytest.CaptureFixture[str]) -> None:
    repo, _ = router
    args = [
        "--repo",
        str(repo),
        "--as-of",
        "2026-11-29",
        "import",
        "--router",
        "edge",
        "--price",
        "home-20m=200000",
        "--price",
        "biz=300000",
    ]
    assert run_cli(isk, args) == 0
    capsys.readouterr()
    assert run_cli(isk, args) == 0
    assert "nothing to import" in capsys.readouterr().out


def test_import_commit(router, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    import git

    repo, _ = router
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(repo.parent / "no-global-gitconfig"))
    handle = git.Repo.init(repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Rina Admin")
        config.set_value("user", "email", "rina@isk.example")
    handle.git.add("state")
    handle.git.commit("-q", "-m", "start")
    args = [
        "--repo",
        str(repo),
        "--as-of",
        "2026-11-29",
        "import",
        "--router",
        "edge",
        "--price",
        "home-20m=200000",
        "--price",
        "biz=300000",
        "--commit",
    ]
    assert run_cli(isk, args) == 0, capsys.readouterr().err
    head = handle.head.commit
    assert head.message.strip() == f"import: {SECRET_COUNT} customers, 2 profiles from edge"
    assert head.author.name == "Rina Admin"
    assert len(head.stats.files) == SECRET_COUNT + 2
    assert not [path for path in handle.untracked_files if path.startswith(("state", "payments"))]


def test_ids_are_valid_and_unique() -> None:
    taken: set[str] = {"budi"}
    assert customer_id_for("Budi", taken) == "budi-2"
    assert customer_id_for("__x y", set()) == "x-y"
    assert customer_id_for("###", set()) == "customer"
    assert len(customer_id_for("a" * 80, set())) == 63


def test_disabled_secret_on_unpriced_package_is_skipped(tmp_path: Path, demo_identity) -> None:
    repo = _write_repo(tmp_path, 8728)
    state = load_state(repo)
    live = LiveState(
        "edge",
        profiles=(LiveItem("*1", {"name": "biz"}),),
        secrets=(
            LiveItem("*2", {"name": "off", "profile": "biz", "disabled": "true", "password": "p"}),
            LiveItem("*3", {"name": "on", "profile": "biz", "disabled": "false", "password": "p"}),
        ),
        active=(),
    )
    result = import_router(state, live, AS_OF, lambda text: "age:" + text[::-1])
    assert result.customers == ("on",) and result.free_customers == ("on",)
    assert "rerun with --price biz=AMOUNT" in result.skipped[0]
