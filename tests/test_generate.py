"""bench/generate.py writes a valid, realistic, deterministic synthetic ISP."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from isk_reconcile.billing import engine
from isk_reconcile.state.encryption import decrypt, load_identity
from isk_reconcile.state.loader import load_state

PROJECT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_generate", PROJECT / "bench" / "generate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module  # dataclasses resolve their module through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mixed_repo(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generator.generate(out, 400, 3, 12, 1, AS_OF, True)
    return out


def all_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.yaml"))}


def test_generated_repo_loads_without_errors_or_warnings(mixed_repo: Path) -> None:
    state = load_state(mixed_repo, cache=False)
    assert state.warnings == ()
    assert len(state.customers) == 400
    assert len(state.profiles) == 6
    assert state.profiles["isolir"].price is None
    assert state.settings.secrets.allow_plaintext is True


def test_generated_routers_are_on_loopback_at_consecutive_ports(
    generator: ModuleType, tmp_path: Path
) -> None:
    generator.generate(tmp_path, 30, 4, 2, 3, AS_OF, True, base_port=39000)
    state = load_state(tmp_path, cache=False)
    assert {router.host for router in state.routers.values()} == {"127.0.0.1"}
    assert sorted(router.api_port for router in state.routers.values()) == [
        39000,
        39001,
        39002,
        39003,
    ]
    assert Counter(c.router for c in state.customers.values()) == {
        name: 30 // 4 + (i < 30 % 4) for i, name in enumerate(sorted(state.routers))
    }


def test_ledger_has_about_one_entry_per_customer_and_month(mixed_repo: Path) -> None:
    state = load_state(mixed_repo, cache=False)
    assert 0.85 * 400 * 12 <= len(state.ledger) <= 1.3 * 400 * 12
    assert len({entry.id for entry in state.ledger}) == len(state.ledger)
    assert max(entry.date for entry in state.ledger) <= AS_OF
    assert sorted(p.stem for p in (mixed_repo / "payments").glob("*.yaml"))[0] == "2025-12"


def test_generated_customers_have_a_realistic_mix_of_standings(mixed_repo: Path) -> None:
    state = load_state(mixed_repo, cache=False)
    causes = Counter(one.cause for one in engine.standings(state, AS_OF).values())
    assert causes["paid"] >= 0.75 * 400
    for cause in ("unpaid", "free", "terminated", "manual", "not-started"):
        assert causes[cause] >= 1, cause
    assert causes["unpaid"] <= 0.15 * 400
    later = engine.standings(state, date(2027, 3, 1))
    assert any(one.cause == "paid" for one in later.values())  # someone paid months ahead


def test_same_seed_gives_the_same_repo_and_another_seed_does_not(
    generator: ModuleType, tmp_path: Path
) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generator.generate(tmp_path / name, 40, 2, 3, seed, AS_OF, True)
    assert all_files(tmp_path / "a") == all_files(tmp_path / "b")
    assert all_files(tmp_path / "a") != all_files(tmp_path / "c")


def test_encrypted_passwords_decrypt_to_the_seeded_plaintexts(
    generator: ModuleType, tmp_path: Path, demo_identity: Path
) -> None:
    generator.generate(tmp_path / "plain", 25, 2, 2, 5, AS_OF, True)
    generator.generate(tmp_path / "sealed", 25, 2, 2, 5, AS_OF, False)
    plain = load_state(tmp_path / "plain", cache=False)
    sealed = load_state(tmp_path / "sealed", cache=False)
    assert sealed.settings.secrets.allow_plaintext is False
    identity = load_identity()
    for customer_id, customer in sealed.customers.items():
        assert customer.pppoe.password.startswith("age:")
        assert decrypt(customer.pppoe.password, identity) == (
            plain.customers[customer_id].pppoe.password
        )
    assert plain.ledger == sealed.ledger


def test_refuses_to_overwrite_an_existing_repo_unless_asked(
    generator: ModuleType, tmp_path: Path
) -> None:
    generator.generate(tmp_path, 5, 1, 1, 1, AS_OF, True)
    with pytest.raises(FileExistsError):
        generator.generate(tmp_path, 5, 1, 1, 1, AS_OF, True)
    (tmp_path / "state" / "customers" / "stray.yaml").write_text("name: x\n")
    generator.generate(tmp_path, 5, 1, 1, 1, AS_OF, True, replace=True)
    assert not (tmp_path / "state" / "customers" / "stray.yaml").exists()
    load_state(tmp_path, cache=False)


def test_command_line_writes_a_repo_that_isk_validate_accepts(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "repo"
    assert generator.main(["--customers", "50", "--routers", "2", "--out", str(out)]) == 0
    assert '"customers": 50' in capsys.readouterr().out

    from isk_reconcile.cli import _group
    from isk_reconcile.cli.context import run_cli

    code = run_cli(_group, ["--repo", str(out), "--as-of", "2026-11-29", "validate"])
    assert code == 0, capsys.readouterr().err
