"""`isk customer set-profile|suspend|resume|terminate|hold|edit` and `isk secrets rekey`
on a copy of the example ISP in a real git repository."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
import yaml

from isk_reconcile.cli import COMMAND_MODULES  # noqa: F401  (registers every command)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk
from isk_reconcile.state.encryption import decrypt, generate_identity, parse_identity
from isk_reconcile.state.loader import load_state

AS_OF = "2026-11-29"
AGUS = "state/customers/agus-prasetyo.yaml"  # monthly from the 10th, owes Rp50.000
ARIF = "state/customers/arif-rahman.yaml"  # monthly from the 11th, paid through 2026-12-10


@pytest.fixture
def repo(example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))  # gitpython reads ~/.gitconfig itself
    handle = git.Repo.init(example_repo, initial_branch="main")
    with handle.config_writer() as config:
        config.set_value("user", "name", "Rina Admin")
        config.set_value("user", "email", "rina@isk.example")
    handle.git.add("-A")
    handle.git.commit("-q", "-m", "initial state")
    return example_repo


def _isk(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    code = run_cli(isk, ["--repo", str(repo), "--as-of", AS_OF, *args])
    out, err = capsys.readouterr()
    return code, out, err


def _bytes(repo: Path, relpath: str) -> bytes:
    return (repo / relpath).read_bytes()


def _data(repo: Path, relpath: str) -> dict:
    return yaml.safe_load((repo / relpath).read_text("utf-8"))


def _last_commit(repo: Path) -> tuple[str, list[str]]:
    handle = git.Repo(repo)
    files = handle.git.show("--name-only", "--format=", "HEAD").split()
    return handle.head.commit.message.strip(), files


# --- set-profile ------------------------------------------------------------


def test_set_profile_defaults_to_the_next_period_and_commits_only_that_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ARIF).write_text((repo / ARIF).read_text() + "# unrelated edit\n")
    code, out, err = _isk(
        capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-20m", "--commit"
    )
    assert code == 0, err
    assert _data(repo, AGUS)["profile"] == [
        {"from": yaml.safe_load("2026-02-10"), "value": "home-10m"},
        {"from": yaml.safe_load("2026-12-10"), "value": "home-20m"},
    ]
    message, files = _last_commit(repo)
    assert files == [AGUS]
    assert message == "customer: agus-prasetyo home-10m → home-20m from 2026-12-10"
    assert "# unrelated edit" in (repo / ARIF).read_text()  # still there, not committed
    assert git.Repo(repo).is_dirty(path=ARIF)
    state = load_state(repo)
    assert state.customers["agus-prasetyo"].profile_on(yaml.safe_load("2026-12-10")) == "home-20m"


def test_set_profile_inside_a_billed_period_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _bytes(repo, AGUS)
    code, _, err = _isk(
        capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-20m", "--from", "2026-12-01"
    )
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "the period 2026-11-10 – 2026-12-09 is already billed" in err
    assert "--from 2026-12-10" in err
    assert _bytes(repo, AGUS) == before


def test_set_profile_later_appends_to_the_dated_list(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _isk(capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-20m")[0] == 0
    first = (repo / AGUS).read_text()
    code, _, err = _isk(
        capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-50m", "--from", "2027-01-15"
    )
    assert code == 0, err
    text = (repo / AGUS).read_text()
    assert text.replace(", {from: 2027-01-15, value: home-50m}", "") == first
    # a date not after the last entry is refused
    code, _, err = _isk(
        capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-20m", "--from", "2027-01-10"
    )
    assert code == 1 and "already changes on 2027-01-15" in err


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "set-profile", "agus-prasetya", "home-20m"),
        ("customer", "suspend", "agus-prasetya", "--reason", "x"),
        ("customer", "resume", "agus-prasetya"),
        ("customer", "terminate", "agus-prasetya"),
        ("customer", "hold", "agus-prasetya", "--from", "2026-12-20", "--reason", "x"),
        ("customer", "edit", "agus-prasetya", "name=X"),
    ],
)
def test_unknown_customer_suggests_the_close_one(
    repo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _, err = _isk(capsys, repo, *args)
    assert code == 1
    assert "no such customer: agus-prasetya (did you mean 'agus-prasetyo'?)" in err
    assert not git.Repo(repo).is_dirty()


def test_set_profile_notes_an_own_price_that_still_applies(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(capsys, repo, "customer", "set-profile", "ratna-sari", "home-20m")
    assert code == 0, err
    assert "note: ratna-sari has its own price (Rp120.000" in out


def test_unknown_profile_suggests_the_close_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _isk(capsys, repo, "customer", "set-profile", "agus-prasetyo", "home-20")
    assert code == 1 and "no such profile: home-20 (did you mean" in err


# --- suspend / resume -----------------------------------------------------------------------


def test_suspend_then_resume_restores_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _bytes(repo, ARIF)
    code, out, err = _isk(
        capsys,
        repo,
        "customer",
        "suspend",
        "arif-rahman",
        "--reason",
        "asked to pause: moving",
        "--commit",
    )
    assert code == 0, err
    assert "arif-rahman: suspended" in out and "moving" in out
    data = _data(repo, ARIF)
    assert (data["status"], data["suspend_reason"]) == ("suspended", "asked to pause: moving")
    assert _last_commit(repo) == ("customer: suspend arif-rahman (asked to pause: moving)", [ARIF])
    code, out, err = _isk(capsys, repo, "customer", "resume", "arif-rahman")
    assert code == 0, err
    assert "arif-rahman: enabled" in out
    assert _bytes(repo, ARIF) == before
    code, _, err = _isk(capsys, repo, "customer", "resume", "arif-rahman")
    assert code == 1 and "not suspended by hand" in err


# --- terminate ------------------------------------------------------------


def test_terminate_someone_who_owes_keeps_the_debt_visible(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(capsys, repo, "customer", "terminate", "agus-prasetyo", "--commit")
    assert code == 0, err
    assert "still owes Rp50.000" in out
    data = _data(repo, AGUS)
    assert (data["status"], str(data["end"])) == ("terminated", AS_OF)
    assert _last_commit(repo) == (f"customer: terminate agus-prasetyo (end {AS_OF})", [AGUS])
    code, out, _ = _isk(capsys, repo, "--wide", "receivables")
    assert code == 0
    (row,) = [line for line in out.splitlines() if "agus-prasetyo" in line]
    assert "Rp50.000" in row


def test_terminate_before_the_billed_period_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _bytes(repo, AGUS)
    code, _, err = _isk(
        capsys, repo, "customer", "terminate", "agus-prasetyo", "--end", "2026-11-01"
    )
    assert code == 1 and "already billed" in err
    assert _bytes(repo, AGUS) == before


# --- hold ------------------------------------------------------------


def test_hold_is_added_and_an_overlapping_one_refused_byte_for_byte(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _isk(
        capsys,
        repo,
        "customer",
        "hold",
        "arif-rahman",
        "--from",
        "2026-12-20",
        "--until",
        "2027-02-10",
        "--reason",
        "abroad",
        "--commit",
    )
    assert code == 0, err
    holds = _data(repo, ARIF)["holds"]
    assert holds == [
        {
            "from": yaml.safe_load("2026-12-20"),
            "until": yaml.safe_load("2027-02-10"),
            "reason": "abroad",
        }
    ]
    message, files = _last_commit(repo)
    assert (
        files == [ARIF] and message == "customer: hold arif-rahman 2026-12-20 – 2027-02-10 (abroad)"
    )
    before = _bytes(repo, ARIF)
    code, _, err = _isk(
        capsys, repo, "customer", "hold", "arif-rahman", "--from", "2027-01-05", "--reason", "again"
    )
    assert code == 1
    assert "overlaps the hold from 2026-12-20" in err
    assert _bytes(repo, ARIF) == before  # validate-or-restore
    assert not git.Repo(repo).is_dirty()
    # an earlier, separate hold goes first in the list
    code, _, err = _isk(
        capsys,
        repo,
        "customer",
        "hold",
        "arif-rahman",
        "--from",
        "2026-12-12",
        "--until",
        "2026-12-14",
        "--reason",
        "repair",
    )
    assert code == 0, err
    assert [h["reason"] for h in _data(repo, ARIF)["holds"]] == ["repair", "abroad"]


def test_hold_inside_a_billed_period_start_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _isk(
        capsys, repo, "customer", "hold", "arif-rahman", "--from", "2026-11-11", "--reason", "x"
    )
    assert code == 1 and "the period 2026-11-11 – 2026-12-10 is already billed" in err
    assert not git.Repo(repo).is_dirty()


# --- edit ------------------------------------------------------------


def test_edit_contact_fields_changes_only_their_lines(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (repo / ARIF).read_text()
    code, _, err = _isk(
        capsys,
        repo,
        "customer",
        "edit",
        "arif-rahman",
        "name=Arif R. Hakim",
        "phone=",
        "email=arif@example.id",
        "notes=ODP 7, port #3",
        "--commit",
    )
    assert code == 0, err
    data = _data(repo, ARIF)
    assert data["name"] == "Arif R. Hakim" and "phone" not in data
    assert data["email"] == "arif@example.id" and data["notes"] == "ODP 7, port #3"
    kept = [line for line in before.splitlines() if not line.startswith(("name", "phone", "notes"))]
    after = [
        line
        for line in (repo / ARIF).read_text().splitlines()
        if not line.startswith(("name", "email", "notes"))
    ]
    assert kept == after
    message, files = _last_commit(repo)
    assert (
        files == [ARIF] and message == "customer: arif-rahman contact (name, phone, email, notes)"
    )


def test_edit_refuses_other_fields(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _isk(capsys, repo, "customer", "edit", "arif-rahman", "router=rw09-bae")
    assert code == 1 and "FIELD one of name, phone, email, address, notes" in err
    assert not git.Repo(repo).is_dirty()


def test_commit_without_a_git_identity_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with git.Repo(repo).config_writer() as config:
        config.remove_section("user")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(variable, raising=False)
    code, _, err = _isk(
        capsys, repo, "customer", "suspend", "arif-rahman", "--reason", "x", "--commit"
    )
    assert code == 1 and "git user.name is not set" in err
    assert not git.Repo(repo).is_dirty()


# --- secrets rekey ------------------------------------------------------------


def test_rekey_reencrypts_every_password_to_the_new_recipients(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, public = generate_identity()
    settings = repo / "state" / "settings.yaml"
    text = settings.read_text()
    marker = (
        "  recipients:               # PPPoE passwords are age-encrypted to these public keys\n"
    )
    assert marker in text
    settings.write_text(text.replace(marker, marker + f"    - {public}\n"))
    git.Repo(repo).git.commit("-qam", "settings: a new admin")
    old = load_state(repo)
    befores = {cid: _bytes(repo, f"state/customers/{cid}.yaml") for cid in old.customers}
    code, out, err = _isk(capsys, repo, "secrets", "rekey", "--commit")
    assert code == 0, err
    with_passwords = [cid for cid, c in old.customers.items() if c.pppoe.password]
    assert f"re-encrypted {len(with_passwords)} password(s) to 2 recipient(s)" in out
    new = load_state(repo)
    newcomer = parse_identity(secret, "test")
    for cid in with_passwords:
        was, now = old.customers[cid].pppoe.password, new.customers[cid].pppoe.password
        assert was != now
        assert decrypt(now, newcomer) == decrypt(
            was,
            parse_identity(
                (Path(__file__).resolve().parents[2] / "demo" / "age-identity.txt").read_text(),
                "demo",
            ),
        )
        # only the password scalar changed
        before = befores[cid].decode()
        after = _bytes(repo, f"state/customers/{cid}.yaml").decode()
        assert after.replace(now, "X").replace('"X"', "X") == before.replace(was, "X").replace(
            '"X"', "X"
        )
    message, files = _last_commit(repo)
    assert message.startswith(f"secrets: re-encrypt {len(with_passwords)} passwords")
    assert sorted(files) == sorted(f"state/customers/{cid}.yaml" for cid in with_passwords)


def test_rekey_needs_the_identity(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ISK_AGE_IDENTITY_FILE")
    code, _, err = _isk(capsys, repo, "secrets", "rekey")
    assert code == 1 and "no age identity" in err
    assert not git.Repo(repo).is_dirty()
