"""`isk init`: a new ISP's state repository in one command, and the example ISP anywhere."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from isk_reconcile.cli import _group as isk_group
from isk_reconcile.cli.context import run_cli
from isk_reconcile.state.encryption import parse_identity
from isk_reconcile.state.loader import load_state

PROJECT = Path(__file__).resolve().parents[2]


def isk(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    with CliRunner().isolation(input=stdin) as (out, err, _):
        code = run_cli(isk_group, list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config home (where the identity goes) and git author for the first commit."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "Admin Kudus")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "admin@example.net")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    (tmp_path / "gitconfig").write_text("[user]\n\temail = admin@example.net\n\tname = Admin\n")
    return config


def test_init_without_a_terminal_takes_defaults_and_commits(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "kudus-net"
    code, out, err = isk("init", str(target), "--name", "Kudus Net")
    assert (code, err) == (0, ""), err
    keyfile = home / "isk" / "kudus-net-identity.txt"
    # `isk init` makes an Indonesian repository (language: id) and speaks its language
    said = "identitas age (membuka kata sandi PPPoE; rahasiakan, jangan masuk git)"
    assert f"{said}: {keyfile}" in out
    # the private key lives outside the repository, readable by its owner only
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    identity = parse_identity(keyfile.read_text(), str(keyfile))
    state = load_state(target, cache=False)
    assert state.settings.secrets.recipients == (identity.public,)
    assert state.settings.isp.name == "Kudus Net"
    assert state.settings.language == "id"
    assert state.settings.timezone == "Asia/Jakarta"
    assert state.settings.billing.cycle == "monthly"
    assert state.settings.billing.grace_days == 3
    assert state.routers == {} and state.customers == {}
    repo = git.Repo(target)
    assert repo.head.commit.message.strip() == "init: state repository of Kudus Net"
    committed = {item.path for item in repo.head.commit.tree.traverse()}
    assert {"state/settings.yaml", "state/routers.yaml", ".gitignore", "README.md"} <= committed
    assert not any("identity" in path for path in committed)
    assert ".isk-cache/" in (target / ".gitignore").read_text()
    # every settings key is written out (the file documents itself)
    text = (target / "state" / "settings.yaml").read_text()
    for key in (
        "grace_days:",
        "max_disable_percent_any_size:",
        "comment_prefix:",
        "isolate_profile:",
    ):
        assert key in text
    # and the empty repository is usable at once
    assert isk("--repo", str(target), "validate")[0] == 0
    assert isk("--repo", str(target), "plan")[0] == 0


def test_flags_choose_every_answer(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "isp"
    code, _, err = isk(
        "init", str(target), "--name", "RT 05 Net", "--timezone", "Asia/Makassar",
        "--cycle", "30d", "--grace-days", "5", "--suspend-mode", "disable", "--language", "en",
        "--identity-file", str(tmp_path / "keys" / "rt05.txt"),
    )  # fmt: skip
    assert code == 0, err
    settings = load_state(target, cache=False).settings
    assert (settings.timezone, settings.billing.cycle, settings.billing.grace_days) == (
        "Asia/Makassar", "30d", 5,
    )  # fmt: skip
    assert settings.language == "en"
    assert (tmp_path / "keys" / "rt05.txt").is_file()


def test_an_existing_identity_is_reused_not_overwritten(tmp_path: Path, home: Path) -> None:
    keyfile = tmp_path / "key.txt"
    isk("init", str(tmp_path / "a"), "--identity-file", str(keyfile))
    before = keyfile.read_text()
    code, out, _ = isk("init", str(tmp_path / "b"), "--identity-file", str(keyfile))
    assert code == 0 and "using the existing age identity" in out
    assert keyfile.read_text() == before
    first = load_state(tmp_path / "a", cache=False).settings.secrets.recipients
    assert load_state(tmp_path / "b", cache=False).settings.secrets.recipients == first


def test_init_refuses_to_overwrite(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "isp"
    assert isk("init", str(target))[0] == 0
    settings = (target / "state" / "settings.yaml").read_text()
    code, _, err = isk("init", str(target), "--name", "Other")
    assert code == 1 and "never overwrites" in err and err[-1] == "\n" and err.count("\n") == 1
    assert (target / "state" / "settings.yaml").read_text() == settings


def test_a_bad_answer_is_refused_before_anything_is_written(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "isp"
    code, _, err = isk("init", str(target), "--timezone", "Asia/Jakart")
    assert code == 1 and "Asia/Jakarta" in err  # did you mean
    assert not target.exists() or not any(target.iterdir())


def test_questions_on_a_terminal(tmp_path: Path, home: Path) -> None:
    """The prompts (answered here through a pseudo-terminal-free stdin) only run on a tty:
    without one the defaults apply, so CI never waits for an answer."""
    target = tmp_path / "isp"
    code, out, _ = isk("init", str(target), stdin="Typed Name\n")
    assert code == 0 and "ISP name" not in out  # stdin is not a terminal: no question
    assert load_state(target, cache=False).settings.isp.name == "Isp"


@pytest.mark.parametrize(
    ("language", "asked"),
    [("id", ["Nama ISP", "Zona waktu", "Siklus tagihan", "Hari tenggang", "Cara memutus"]),
     ("en", ["ISP name", "Time zone", "Billing cycle", "Grace days", "Suspend mode"])],
)  # fmt: skip
def test_on_a_terminal_the_language_is_asked_first_and_the_rest_in_it(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, language: str, asked: list[str]
) -> None:
    from isk_reconcile.cli import init as init_module

    monkeypatch.setattr(init_module, "_on_a_terminal", lambda: True)
    target = tmp_path / "isp"
    answers = f"{language}\nKudus Net\n\nmonthly\n5\n\n"  # the time zone and mode: defaults
    code, out, err = isk("init", str(target), stdin=answers)
    assert code == 0, out + err
    assert out.index("Language / Bahasa (id/en)") < min(out.index(word) for word in asked)
    assert [out.index(word) for word in asked] == sorted(out.index(word) for word in asked)
    settings = load_state(target, cache=False).settings
    assert (settings.isp.name, settings.language, settings.billing.cycle) == (
        "Kudus Net",
        language,
        "monthly",
    )
    assert (settings.billing.grace_days, settings.timezone) == (5, "Asia/Jakarta")


def test_example_copy_to_explore(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "example"
    code, out, err = isk("init", str(target), "--example")
    assert code == 0, err
    state = load_state(target, cache=False)
    assert len(state.customers) == len(load_state(PROJECT, cache=False).customers)
    assert (target / "demo" / "age-identity.txt").is_file()
    assert git.Repo(target).head.commit.message.startswith("init: a copy")


def test_init_writes_the_one_gitignore_isk_ci_init_writes(tmp_path: Path, home: Path) -> None:
    """One home for what a state repository keeps out of git (gitops.ci_templates); the
    example keeps its labelled demo identity, which it commits."""
    from isk_reconcile.gitops.ci_templates import GITIGNORE

    fresh, example = tmp_path / "fresh", tmp_path / "example"
    assert isk("init", str(fresh), "--name", "Fresh Net")[0] == 0
    assert isk("init", str(example), "--example")[0] == 0
    assert (fresh / ".gitignore").read_text() == GITIGNORE
    assert (example / ".gitignore").read_text() == GITIGNORE.replace("*identity*.txt\n", "")
    tracked = {item.path for item in git.Repo(example).head.commit.tree.traverse()}
    assert {".gitignore", "demo/age-identity.txt"} <= tracked


def test_init_refuses_a_directory_with_a_gitignore(tmp_path: Path, home: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / ".gitignore").write_text("mine\n")
    code, _, err = isk("init", str(target), "--name", "Taken Net")
    assert code == 1 and "already has .gitignore" in err
    assert (target / ".gitignore").read_text() == "mine\n"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, the way `pip install git+URL` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(PROJECT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("isk_reconcile-*.whl"))


def test_the_demo_travels_with_the_tool(wheel: Path, tmp_path: Path) -> None:
    """Installed from a wheel, away from any clone: `isk demo` runs on the shipped example."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "isk_reconcile/example/state/routers.yaml" in names
    assert "isk_reconcile/example/demo/age-identity.txt" in names
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISK_")}
    env["PYTHONPATH"] = str(site)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    run = subprocess.run(
        [sys.executable, "-m", "isk_reconcile", "--no-color", "demo"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Demo finished: the routers match the repository." in run.stdout
    assert (
        str(site / "isk_reconcile" / "example") in run.stdout or "Simulated routers" in run.stdout
    )
