"""`--help` and usage errors follow `settings.language` like every other message: the
repository is found as commands find it (--repo anywhere on the line, $ISK_REPO, the
working directory) and anything unreadable gives English help, never an error."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from isk_reconcile.cli import load_all_commands
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.helptext import HelpCommand, HelpGroup
from isk_reconcile.cli.root import main as isk_group
from tests.helpers.process import isk

SET_PROFILE_EN = """\
Usage: isk customer set-profile [OPTIONS] ID PROFILE

  Change the package from a date: a dated entry, never inside a billed period.

Options:
  --from YYYY-MM-DD  First day on the new profile (default: next period).
  --commit           Commit the customer file with git.
  -h, --help         Show this message and exit.
"""
SET_PROFILE_ID = """\
Penggunaan: isk customer set-profile [OPTIONS] ID PROFILE

  Ganti paket mulai suatu tanggal: dicatat bertanggal, tidak pernah di tengah
  periode yang sudah ditagih.

Opsi:
  --from YYYY-MM-DD  Hari pertama dengan paket baru (bawaan: periode
                     berikutnya).
  --commit           Commit file pelanggan dengan git.
  -h, --help         Tampilkan bantuan ini lalu keluar.
"""
# click's words that must not be left in an Indonesian help page
ENGLISH_LEFTOVERS = ("Usage:", "Options:", "Commands:", "Show this message", "[default:")


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # click wraps help to the terminal's width
    monkeypatch.delenv("ISK_REPO", raising=False)


@pytest.fixture
def repo_in(example_repo: Path):
    def make(language: str) -> Path:
        settings = example_repo / "state" / "settings.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(re.sub(r"(?m)^language: \w+", f"language: {language}", text))
        return example_repo

    return make


def help_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run_cli(isk_group, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def flat(text: str) -> str:
    """The text with its wrapping undone."""
    return " ".join(text.split())


def test_root_help_in_indonesian(repo_in, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = help_of(capsys, "--repo", str(repo_in("id")), "--help")
    assert code == 0 and err == ""
    assert out.startswith("Penggunaan: isk [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nOpsi:\n" in out and "\nPerintah:\n" in out
    assert "-h, --help          Tampilkan bantuan ini lalu keluar." in out
    # each command's short help is translated, then shortened to its line
    assert "  plan         Tampilkan perubahan agar router sesuai dengan repositori.\n" in out
    assert "  customers    Daftar pelanggan dengan paket saat ini, keadaan, lunas...\n" in out
    assert "Hitung tagihan per tanggal ini (bawaan: hari ini menurut settings.timezone)" in (
        flat(out)
    )
    for english in ENGLISH_LEFTOVERS:
        assert english not in out, english


@pytest.mark.parametrize(("language", "line"), [("id", "isk, versi "), ("en", "isk, version ")])
def test_version_in_the_repositorys_language(
    repo_in,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
    line: str,
) -> None:
    from isk_reconcile import __version__

    code, out, err = help_of(capsys, "--repo", str(repo_in(language)), "--version")
    assert (code, out, err) == (0, f"{line}{__version__}\n", "")
    monkeypatch.chdir(tmp_path)  # no repository anywhere: English
    monkeypatch.delenv("ISK_REPO", raising=False)
    assert help_of(capsys, "--version") == (0, f"isk, version {__version__}\n", "")


def test_plan_help_in_indonesian(repo_in, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = help_of(capsys, "--repo", str(repo_in("id")), "plan", "--help")
    assert code == 0
    assert out.startswith("Penggunaan: isk plan [OPTIONS]\n")
    shown = flat(out)
    assert "--format [text|json|markdown] [bawaan: text]" in shown  # choices as written
    assert "--detailed-exitcode Keluar dengan kode 2 kalau ada perubahan." in shown
    assert "router yang pengaturannya ikut diubah dilewati, tidak dihubungi." in shown
    assert max(len(line) for line in out.splitlines()) <= 80  # wrapped after translating
    for english in ENGLISH_LEFTOVERS:
        assert english not in out, english


def test_customer_set_profile_help_in_both_languages(
    repo_in, capsys: pytest.CaptureFixture[str]
) -> None:
    assert help_of(capsys, "--repo", str(repo_in("id")), "customer", "set-profile", "-h") == (
        0,
        SET_PROFILE_ID,
        "",
    )
    assert help_of(capsys, "--repo", str(repo_in("en")), "customer", "set-profile", "-h") == (
        0,
        SET_PROFILE_EN,
        "",
    )


@pytest.mark.parametrize("where", ["--repo after --help", "--repo=DIR", "ISK_REPO", "cwd"])
def test_the_repository_is_found_as_commands_find_it(
    repo_in, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    repo = repo_in("id")
    args = ["customer", "set-profile", "--help"]
    if where == "--repo after --help":
        args += ["--repo", str(repo)]
    elif where == "--repo=DIR":
        args = [f"--repo={repo}", *args]
    elif where == "ISK_REPO":
        monkeypatch.setenv("ISK_REPO", str(repo))
    else:
        monkeypatch.chdir(repo / "state")  # a subdirectory: the nearest ancestor's
    assert help_of(capsys, *args) == (0, SET_PROFILE_ID, "")


BROKEN_SETTINGS = {
    "absent": None,
    "not YAML": "language: [id\n  : :",
    "not a mapping": "- language\n- id\n",
    "unknown language": "language: xx\n",
    "binary": b"\xff\xfe\x00language: id",
    "deeply nested": "language: " + "[" * 5000 + "]" * 5000 + "\n",
    "a directory": "",
}


@pytest.mark.parametrize("broken", BROKEN_SETTINGS)
def test_unreadable_settings_give_english_help_without_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    repo = tmp_path / "isp"
    (repo / "state").mkdir(parents=True)
    (repo / "state" / "routers.yaml").write_text("routers: []\n", encoding="utf-8")
    settings = repo / "state" / "settings.yaml"
    content = BROKEN_SETTINGS[broken]
    if broken == "a directory":
        settings.mkdir()
    elif isinstance(content, bytes):
        settings.write_bytes(content)
    elif content is not None:
        settings.write_text(content, encoding="utf-8")
    assert help_of(capsys, "--repo", str(repo), "customer", "set-profile", "--help") == (
        0,
        SET_PROFILE_EN,
        "",
    )


def test_no_repository_anywhere_gives_english_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert help_of(capsys, "customer", "set-profile", "--help") == (0, SET_PROFILE_EN, "")
    missing = tmp_path / "no-such-dir"
    assert help_of(capsys, "--repo", str(missing), "customer", "set-profile", "--help") == (
        0,
        SET_PROFILE_EN,
        "",
    )


def test_a_usage_error_in_an_indonesian_repository(
    repo_in, capsys: pytest.CaptureFixture[str]
) -> None:
    """Still one line, still exit 1 (SPEC §6: 2 means "the plan has changes"), in Indonesian;
    the option and the command are quoted as typed."""
    repo = str(repo_in("id"))
    code, out, err = help_of(capsys, "--repo", repo, "customers", "--no-such-flag")
    assert (code, out) == (1, "")
    assert err == "galat: opsi '--no-such-flag' tidak ada (lihat 'isk customers --help')\n"
    code, _, err = help_of(capsys, "--repo", repo, "plan", "--format", "xml")
    assert code == 1
    assert err == (
        "galat: nilai '--format' tidak sah: 'xml' bukan salah satu dari 'text', 'json', "
        "'markdown' (lihat 'isk plan --help')\n"
    )
    # click raises this one without its context: the command line names the repository
    code, _, err = help_of(capsys, "--repo", repo, "customers", "--router")
    assert (code, err) == (1, "galat: opsi '--router' perlu nilai\n")
    code, _, err = help_of(capsys, "--repo", repo, "customer", "show")
    assert (code, err) == (
        1,
        "galat: argumen 'ID' belum diisi (lihat 'isk customer show --help')\n",
    )


def test_a_usage_error_in_an_english_repository_is_unchanged(
    repo_in, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = help_of(capsys, "--repo", str(repo_in("en")), "customers", "--no-such-flag")
    assert code == 1
    assert err == "error: No such option '--no-such-flag' (see 'isk customers --help')\n"


def test_the_installed_executable_speaks_the_repositorys_language(repo_in) -> None:
    repo = repo_in("id")
    helped = isk("plan", "--help", cwd=repo)
    assert helped.returncode == 0 and helped.stdout.startswith("Penggunaan: isk plan")
    wrong = isk("--repo", str(repo), "plna")
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert (
        wrong.stderr == "galat: perintah 'plna' tidak ada. Maksudnya 'plan'? (lihat 'isk --help')\n"
    )


def test_every_command_and_group_renders_translated_help() -> None:
    """A command declared some other way (a plain click.Command added to a group) would
    show English help in an Indonesian repository."""
    load_all_commands()
    untranslated = []

    def walk(command: click.Command, path: str) -> None:
        wanted = HelpGroup if isinstance(command, click.Group) else HelpCommand
        if not isinstance(command, wanted):
            untranslated.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(isk_group, "isk")
    assert untranslated == []
