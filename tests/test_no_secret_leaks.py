""" "Nothing lost, nobody in": no command ever shows a password (SPEC §5, §7).

Every command that could touch a secret is run on a copy of the example ISP whose
passwords are known (the demo identity decrypts them), against simulated routers with
known API passwords, with -v and with DEBUG logging captured. Nothing it prints, logs or
writes (plan files, workbook XML, HTML, dumps, state files, git commits) may contain a
customer's PPPoE password, a router's API password or the age identity's secret key.
The one allowed exception is `isk customer add`'s one-time printout of the password it
generated (and `isk customer password`, whose job is to show one; it is the control that
proves the scan finds what it looks for).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

import isk_reconcile.cli  # noqa: F401  (registers every command on the group)
from isk_reconcile.cli.context import run_cli
from isk_reconcile.cli.root import main as isk_group
from isk_reconcile.routeros.types import PROFILE, SECRET
from isk_reconcile.sim import SimulatedRouter
from isk_reconcile.state import encryption
from tests.helpers.process import for_the_fixed_day

PROJECT = Path(__file__).resolve().parent.parent
DEMO_IDENTITY_FILE = PROJECT / "demo" / "age-identity.txt"
ISK = Path(sys.executable).parent / "isk"
AS_OF = "2026-11-29"


API_USER = "isk-api"
API_PASSWORDS = {
    "core-kudus": "apiCore-Sekret-4711",
    "rw05-jati": "apiJati-Sekret-4712",
    "rw09-bae": "apiBae-Sekret-4713",
}
WRONG_API_PASSWORD = "apiWrong-Sekret-9999"
UNMANAGED_PASSWORD = "unmanaged-Sekret-5150"  # a secret isk import finds on a router
ROTATED_PASSWORD = "rotated-Sekret-7070"  # budi's new password, set half way


def identity_key() -> str:
    lines = DEMO_IDENTITY_FILE.read_text(encoding="utf-8").splitlines()
    (key,) = [line.strip() for line in lines if line.startswith("AGE-SECRET-KEY-")]
    return key


class Scanner:
    """The secrets to look for, and every text a command produced."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.seen: list[tuple[str, str]] = []

    def secret(self, label: str, value: str) -> None:
        assert len(value) >= 6, f"{label}: too short to scan for without false alarms"
        self.secrets[label] = value

    def identity(self, label: str, key: str) -> None:
        """An age secret key, and a chunk of its payload (a partial echo is a leak too)."""
        self.secret(label, key)
        payload = key.removeprefix("AGE-SECRET-KEY-1")
        self.secret(f"{label} (part)", payload[10:30])

    def found(self, text: str) -> list[str]:
        folded = text.casefold()
        return sorted(label for label, value in self.secrets.items() if value.casefold() in folded)

    def add(self, where: str, text: str) -> None:
        self.seen.append((where, text))

    def add_file(self, where: str, path: Path) -> None:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and ".git" not in child.relative_to(path).parts:
                    self.add_file(f"{where}/{child.relative_to(path)}", child)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    text = archive.read(member).decode("utf-8", "replace")
                    self.add(f"{where}!{member}", text)
        else:
            self.add(where, path.read_bytes().decode("utf-8", "replace"))

    def leaks(self) -> list[str]:
        return [
            f"{where}: {', '.join(labels)}"
            for where, text in self.seen
            if (labels := self.found(text))
        ]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Admin ISK", "-c", "user.email=admin@isk.test", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


class Isk:
    """Runs `isk` in this process (so DEBUG logging of every library is captured)."""

    def __init__(self, repo: Path, scanner: Scanner, capfd: pytest.CaptureFixture[str]):
        self.repo = repo
        self.scanner = scanner
        self.capfd = capfd

    def __call__(
        self,
        *args: str,
        stdin: str = "",
        env: Mapping[str, str | None] | None = None,
        scan: bool = True,
    ) -> tuple[int, str, str]:
        self.capfd.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            for name, value in (env or {}).items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            command = ["--repo", str(self.repo), "--as-of", AS_OF, *for_the_fixed_day(args)]
            code = run_cli(isk_group, command)
        out, err = self.capfd.readouterr()
        if scan:
            label = "isk " + " ".join(args)
            self.scanner.add(f"{label} (stdout)", out)
            self.scanner.add(f"{label} (stderr)", err)
        return code, out, err


@pytest.fixture
def fleet() -> Iterator[dict[str, SimulatedRouter]]:
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(SimulatedRouter(identity=name, users={API_USER: password}))
            for name, password in API_PASSWORDS.items()
        }


@pytest.fixture
def isp(tmp_path: Path, fleet: dict[str, SimulatedRouter], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example ISP in a git repository, its routers on the simulators."""
    repo = tmp_path / "isp"
    shutil.copytree(PROJECT / "state", repo / "state")
    shutil.copytree(PROJECT / "payments", repo / "payments")
    routers_file = repo / "state" / "routers.yaml"
    routers = yaml.safe_load(routers_file.read_text(encoding="utf-8"))
    for name, settings in routers.items():
        settings["port"] = fleet[name].port
        monkeypatch.setenv(settings["password_env"], API_PASSWORDS[name])
    routers_file.write_text(yaml.safe_dump(routers, sort_keys=False), encoding="utf-8")
    monkeypatch.delenv("ISK_REPO", raising=False)
    monkeypatch.delenv("ISK_AGE_IDENTITY", raising=False)
    monkeypatch.setenv("ISK_AGE_IDENTITY_FILE", str(DEMO_IDENTITY_FILE))
    monkeypatch.setenv("NO_COLOR", "1")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "state", "payments")
    git(repo, "commit", "-q", "-m", "the example ISP")
    return repo


def known_secrets(repo: Path) -> Scanner:
    scanner = Scanner()
    identity = encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(DEMO_IDENTITY_FILE)})
    for path in sorted((repo / "state" / "customers").glob("*.yaml")):
        stored = yaml.safe_load(path.read_text(encoding="utf-8"))["pppoe"]["password"]
        scanner.secret(f"PPPoE password of {path.stem}", encryption.decrypt(stored, identity))
    for name, password in API_PASSWORDS.items():
        scanner.secret(f"API password of {name}", password)
    scanner.secret("a wrong API password", WRONG_API_PASSWORD)
    scanner.secret("an unmanaged secret's password", UNMANAGED_PASSWORD)
    scanner.secret("a rotated PPPoE password", ROTATED_PASSWORD)
    scanner.identity("the demo age identity", identity_key())
    return scanner


def set_password(repo: Path, customer: str, stored: str) -> None:
    path = repo / "state" / "customers" / f"{customer}.yaml"
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^  password: .*$", f'  password: "{stored}"', text)
    assert count == 1
    path.write_text(text, encoding="utf-8")


def test_every_command_keeps_passwords_out_of_output_logs_and_files(
    isp: Path,
    fleet: dict[str, SimulatedRouter],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    private_cache_home: Path,
) -> None:
    caplog.set_level(logging.DEBUG)  # librouteros logs every word it sends at DEBUG
    scanner = known_secrets(isp)
    isk = Isk(isp, scanner, capfd)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # Live state worth showing: a hand-made secret to import and a session to drop.
    fleet["core-kudus"].add(PROFILE, {"name": "legacy-5m", "rate-limit": "5M/5M"})
    fleet["core-kudus"].add(
        SECRET,
        {"name": "old-user", "password": UNMANAGED_PASSWORD, "profile": "legacy-5m"},
    )
    fleet["core-kudus"].add_session("budi-santoso", address="10.20.0.50")

    # The control: the scan finds a password where one is meant to be shown.
    code, out, _ = isk("customer", "password", "wahyu-hidayat", scan=False)
    assert code == 0 and scanner.found(out) == ["PPPoE password of wahyu-hidayat"]

    # Read-only views of the repository.
    assert isk("validate")[0] == 0
    assert isk("-v", "validate", "--base", "HEAD")[0] == 0
    for fmt in ("table", "csv", "json"):
        assert isk("customers", "--format", fmt)[0] == 0
        assert isk("invoices", "--format", fmt)[0] == 0
        assert isk("receivables", "--format", fmt)[0] == 0
    assert isk("receivables", "--detail")[0] == 0
    for customer in ("budi-santoso", "wahyu-hidayat", "nur-hidayah", "bts-bae-backhaul"):
        assert isk("customer", "show", customer)[0] == 0
        assert isk("customer", "show", customer, "--format", "json")[0] == 0

    # Plan in every format, saved, and applied (refused without a terminal first).
    assert isk("plan")[0] == 0
    assert isk("-v", "plan", "--format", "json", "--detailed-exitcode")[0] == 2
    assert isk("plan", "--format", "markdown")[0] == 0
    saved = out_dir / "plan.json"
    assert isk("plan", "--out", str(saved))[0] == 0
    assert "age:" in saved.read_text(encoding="utf-8")  # passwords stay ciphertext
    assert isk("apply", str(saved))[0] == 1  # no terminal, no --auto-approve
    assert isk("-v", "apply", str(saved), "--auto-approve")[0] == 0
    assert isk("plan", "--detailed-exitcode")[0] == 0

    # Dashboards and files for management.
    for fmt in ("table", "json", "csv"):
        assert isk("-v", "status", "--format", fmt)[0] == 0
    assert isk("export", "--xlsx", str(out_dir / "isp.xlsx"))[0] == 0
    assert isk("report", "--html", str(out_dir / "site"))[0] == 0

    # Workflows that write the repository and commit.
    code, out, _ = isk(
        "customer", "add", "new-kid", "--name", "New Kid", "--router", "core-kudus",
        "--profile", "home-10m", "--phone", "+6281200000000", "--commit", scan=False,
    )  # fmt: skip
    assert code == 0, out
    shown = re.search(r"PPPoE password \(shown once, store it safely\): (\S+)", out)
    assert shown is not None
    scanner.secret("the PPPoE password customer add generated", shown.group(1))
    # Its one-time printout holds that password and nothing else secret.
    assert scanner.found(out) == ["the PPPoE password customer add generated"]
    assert isk("pay", "budi-santoso", "150000", "--reference", "BCA 1", "--commit")[0] == 0
    assert isk("history", "budi-santoso")[0] == 0
    assert isk("history", "new-kid", "--format", "json")[0] == 0
    assert isk("ci", "init", "github")[0] == 0  # names the variables, never their values

    # A password rotation: encrypted from stdin, planned as "(changed)", applied, and the
    # live session dropped.
    code, out, _ = isk("secrets", "encrypt", stdin=ROTATED_PASSWORD + "\n")
    assert code == 0 and out.startswith("age:")
    set_password(isp, "budi-santoso", out.strip())
    code, out, _ = isk("plan", "--format", "json")
    assert '"(changed)"' in out
    assert "password: (changed)" in isk("plan")[1]
    assert "password: (changed)" in isk("plan", "--format", "markdown")[1]
    assert isk("plan", "--out", str(out_dir / "rotation.json"))[0] == 0
    # The router refuses the write, then drops the connection: both reported, then the
    # third apply converges.
    core = fleet["core-kudus"]
    core.faults.trap_on["/ppp/secret/set budi-santoso"] = "failure: simulated refusal"
    assert isk("-v", "apply", "--auto-approve")[0] == 1
    core.faults.trap_on.clear()
    core.faults.drop_after_writes = 0
    assert isk("-v", "apply", "--auto-approve")[0] == 1
    assert isk("-v", "apply", "--auto-approve")[0] == 0
    secret = {item["name"]: item for item in fleet["core-kudus"].items(SECRET)}
    assert secret["budi-santoso"]["password"] == ROTATED_PASSWORD  # it did reach the router
    assert isk("plan", "--detailed-exitcode")[0] == 0

    # Adopting what a router already has: the password goes into git encrypted.
    assert isk("-v", "import", "--router", "core-kudus")[0] == 0
    imported = (isp / "state" / "customers" / "old-user.yaml").read_text(encoding="utf-8")
    assert "age:" in imported

    # Router checks, one with a wrong API password.
    assert isk("router", "check")[0] == 0
    wrong = {"ISK_ROUTER_RW05_JATI_PASSWORD": WRONG_API_PASSWORD}
    assert isk("-v", "router", "check", env=wrong)[0] == 1
    assert isk("-v", "plan", env=wrong)[0] == 1
    assert isk("-v", "status", env=wrong)[0] == 1

    # Error paths, with tracebacks (-v).
    other_key, _ = encryption.generate_identity()
    scanner.identity("another age identity", other_key)
    other_file = tmp_path / "other-identity.txt"
    other_file.write_text(other_key + "\n", encoding="utf-8")
    assert isk("-v", "plan", env={"ISK_AGE_IDENTITY_FILE": str(other_file)})[0] == 1
    broken_key = identity_key()[:-6] + "QQQQQQ"
    scanner.secret("a corrupted age identity", broken_key)
    assert isk("-v", "plan", env={"ISK_AGE_IDENTITY": broken_key})[0] == 1
    assert isk("-v", "apply", "--auto-approve", env={"ISK_AGE_IDENTITY_FILE": None})[0] == 1
    tampered = out_dir / "tampered.json"
    tampered.write_text(
        re.sub(r'"age:[^"]{20}', '"age:AAAAAAAAAAAAAAAAAAAA', saved.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    assert isk("-v", "apply", str(tampered), "--auto-approve")[0] == 1
    routers_file = isp / "state" / "routers.yaml"
    siti_file = isp / "state" / "customers" / "siti-rahayu.yaml"
    original, siti = routers_file.read_text(encoding="utf-8"), siti_file.read_text("utf-8")
    routers_file.write_text(
        original.replace("rw09-bae:\n", f"rw09-bae:\n  password: {API_PASSWORDS['rw09-bae']}\n"),
        encoding="utf-8",
    )
    set_password(isp, "siti-rahayu", "plaintext-Sekret-3141")
    scanner.secret("a plaintext password in a customer file", "plaintext-Sekret-3141")
    code, _, err = isk("-v", "validate")
    assert code == 1 and "plaintext password refused" in err
    assert "router passwords come from the environment" in err
    # Fixed again: the parse cache (under XDG_CACHE_HOME) must not keep the planted values.
    routers_file.write_text(original, encoding="utf-8")
    siti_file.write_text(siti, encoding="utf-8")
    assert isk("validate")[0] == 0

    # Everything written: the plan files, workbook, site, the repo (new and imported
    # customers, ledger) and the git history (diffs and commit messages).
    scanner.add_file("out", out_dir)
    for path in sorted(private_cache_home.rglob("*")):
        if path.is_file():
            scanner.add_file(f"cache {path.name}", path)
    for path in sorted(isp.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(isp).parts:
            scanner.add_file(str(path.relative_to(isp)), path)
    scanner.add("git log -p", git(isp, "log", "-p", "--all"))
    scanner.add("log records", caplog.text)
    assert scanner.seen and caplog.records
    assert scanner.leaks() == []


def test_sim_serve_dump_and_verbose_log_hide_passwords(tmp_path: Path) -> None:
    """`isk -v sim serve --dump` logs commands and writes the final state without
    a PPPoE or API password."""
    snapshot = {
        "identity": "core-kudus",
        "version": "7.16.2",
        "menus": {
            SECRET: [
                {"name": "budi", "password": "simPPPoE-Sekret-1", "profile": "default"},
                {"name": "siti", "password": "7391025", "profile": "default"},
            ]
        },
    }
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(snapshot), encoding="utf-8")
    dump = tmp_path / "dump.json"
    server = subprocess.Popen(
        [str(ISK), "-v", "sim", "serve", "--port", "0", "--state", str(seed),
         "--user", f"{API_USER}:simAPI-Sekret-2", "--dump", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        assert server.stdout is not None
        listening = server.stdout.readline()
        port = int(re.search(r":(\d+) \(RouterOS", listening).group(1))  # type: ignore[union-attr]
        import librouteros

        api = librouteros.connect(
            "127.0.0.1", username=API_USER, password="simAPI-Sekret-2", port=port
        )
        rows = list(api.path("ppp", "secret"))
        api.path("ppp", "secret").update(**{".id": rows[0][".id"], "password": "simNew-Sekret-3"})
        api.close()
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "/ppp/secret/set" in err  # -v did log the commands
    written = dump.read_text(encoding="utf-8")
    assert json.loads(written)["menus"][SECRET][0]["name"] == "budi"
    for text in (listening + out, err, written):
        for value in ("simPPPoE-Sekret-1", "7391025", "simAPI-Sekret-2", "simNew-Sekret-3"):
            assert value not in text


def test_a_plaintext_repo_never_shows_a_password_in_history_or_plan_files(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With encryption.allow_plaintext the password is in git, but isk still never prints it,
    nor copies it into a saved plan (CI keeps those as artifacts)."""
    from tests.helpers.isp import customer, write_repo

    monkeypatch.delenv("ISK_REPO", raising=False)
    monkeypatch.setenv("ISK_ROUTER_R1_PASSWORD", "apiPlain-Sekret-1")
    router = SimulatedRouter(identity="r1", users={API_USER: "apiPlain-Sekret-1"}).start()
    router.add("/ip/pool", {"name": "pool-home", "ranges": "10.20.0.10-10.20.0.250"})
    routers = {
        "r1": {"host": "127.0.0.1", "port": router.port, "username": API_USER,
               "password_env": "ISK_ROUTER_R1_PASSWORD"},
    }  # fmt: skip
    repo = write_repo(
        tmp_path / "isp", {"budi": customer("Budi", password="plainHist-1111")}, routers=routers
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "budi")
    write_repo(
        repo,
        {"budi": customer("Budi", password="plainHist-2222", notes="rotated")},
        routers=routers,
    )
    git(repo, "commit", "-q", "-am", "budi: new password")
    scanner = Scanner()
    scanner.secret("the first password", "plainHist-1111")
    scanner.secret("the second password", "plainHist-2222")
    scanner.secret("the API password", "apiPlain-Sekret-1")
    isk = Isk(repo, scanner, capfd)
    code, out, _ = isk("history", "budi")
    assert code == 0 and "pppoe.password: (changed)" in out
    assert isk("history", "budi", "--format", "json")[0] == 0
    assert isk("customer", "show", "budi", "--format", "json")[0] == 0
    assert isk("customers", "--search", "plainHist", "--format", "json")[1].count("budi") == 0
    try:
        saved = tmp_path / "plan.json"
        assert isk("-v", "plan", "--out", str(saved))[0] == 0
        assert isk("-v", "apply", str(saved), "--auto-approve")[0] == 0
        assert router.items(SECRET)[0]["password"] == "plainHist-2222"
    finally:
        router.stop()
    scanner.add_file("plan.json", saved)
    assert scanner.leaks() == []
