"""A pull request is untrusted input (issue 9): the real `isk` executable, a real git
repository and simulated routers over TCP, against a hostile change."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from isk_reconcile.sim import SimulatedRouter

ISK = Path(sys.executable).parent / "isk"
AS_OF = "2026-11-29"
API_USER = "isk-api"
SECRET = "/ppp/secret"
PROFILE = "/ppp/profile"
PROFILES = {
    "home-10m": {"description": "Home 10M", "price": 150000, "rate_limit": "10M/10M"},
}
# Any control character a terminal, a spreadsheet or a PR comment would act on.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Listener:
    """A plain TCP server on loopback that records every byte it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    while chunk := conn.recv(4096):
                        self.received += chunk
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        self.server.close()


def variable(name: str) -> str:
    return f"ISK_ROUTER_{name.upper().replace('-', '_')}_PASSWORD"


@pytest.fixture
def sims() -> Iterator[dict[str, SimulatedRouter]]:
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(
                SimulatedRouter(identity=name, users={API_USER: f"pw-{name}"})
            )
            for name in ("r1", "r2")
        }


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def routers_of(sims: dict[str, SimulatedRouter]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "host": "127.0.0.1",
            "port": sim.port,
            "username": API_USER,
            "password_env": variable(name),
            "timeout": 3,
        }
        for name, sim in sims.items()
    }


def customer(name: str, router: str = "r1", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "router": router,
        "start": "2026-01-01",
        "profile": "home-10m",
        "status": "free",
        "pppoe": {"password": "pppoe-pw-1"},
        **extra,
    }


def write(repo: Path, routers: dict[str, Any], customers: dict[str, dict[str, Any]]) -> None:
    dump = {"sort_keys": False, "allow_unicode": True}
    for folder in ("state/profiles", "state/customers", "payments"):
        (repo / folder).mkdir(parents=True, exist_ok=True)
    settings = {"secrets": {"allow_plaintext": True}}
    (repo / "state/settings.yaml").write_text(yaml.safe_dump(settings, **dump))
    (repo / "state/routers.yaml").write_text(yaml.safe_dump(routers, **dump))
    for name, document in PROFILES.items():
        (repo / f"state/profiles/{name}.yaml").write_text(yaml.safe_dump(document, **dump))
    for path in (repo / "state/customers").glob("*.yaml"):
        path.unlink()
    for cid, document in customers.items():
        (repo / f"state/customers/{cid}.yaml").write_text(yaml.safe_dump(document, **dump))
    (repo / "payments/ledger.yaml").write_text("[]\n")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def isk(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environ.pop("ISK_REPO", None)
    return subprocess.run(
        [str(ISK), "--repo", str(repo), "--as-of", AS_OF, *args],
        capture_output=True,
        text=True,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def passwords(sims: dict[str, SimulatedRouter]) -> dict[str, str]:
    return {variable(name): f"pw-{name}" for name in sims}


def test_plan_base_never_contacts_a_router_the_change_moved(
    tmp_path: Path, sims: dict[str, SimulatedRouter], listener: Listener
) -> None:
    repo = tmp_path / "isp"
    customers = {"a": customer("A"), "b": customer("B", router="r2")}
    write(repo, routers_of(sims), customers)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "pr")
    hostile = routers_of(sims)
    hostile["r2"]["port"] = listener.port  # the PR points r2 at its own listener
    hostile["r3"] = {"host": "127.0.0.1", "port": listener.port, "password_env": variable("r1")}
    write(repo, hostile, {**customers, "c": customer("C", router="r3")})
    git(repo, "commit", "-qam", "move r2")

    planned = isk(repo, "plan", "--base", "main", "--format", "json", env=passwords(sims))
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    by_router = {router["router"]: router for router in document["routers"]}
    assert by_router["r1"]["status"] == "ok" and by_router["r1"]["summary"]["create"] == 2
    for name, field in (("r2", "port"), ("r3", None)):
        assert by_router[name]["status"] == "skipped"
        assert by_router[name]["changes"] == []
        assert "not contacted before merge" in by_router[name]["note"]
        if field:
            assert "connection settings changed in this change" in by_router[name]["note"]
            assert field in by_router[name]["note"]
    assert listener.connections == 0 and bytes(listener.received) == b""

    text = isk(repo, "plan", "--base", "main", env=passwords(sims))
    assert text.returncode == 0, text.stderr
    assert "r2: SKIPPED connection settings changed in this change" in text.stdout
    assert "r3: SKIPPED router new in this change" in text.stdout
    markdown = isk(repo, "plan", "--base", "main", "--format", "markdown", env=passwords(sims))
    assert "**Skipped:** connection settings changed in this change" in markdown.stdout
    assert "| r2 | skipped |" in markdown.stdout
    assert listener.connections == 0 and bytes(listener.received) == b""

    # The reviewer sees it in validate --base too.
    validated = isk(repo, "validate", "--base", "main", env=passwords(sims))
    assert validated.returncode == 0, validated.stderr
    warned = r"warning: state/routers.yaml:\d+:\d+: r2: connection settings"
    assert re.search(warned, validated.stderr)
    assert "r3: router new in this change" in validated.stderr
    assert not sims["r2"].items(SECRET)  # nothing written anywhere


def test_plan_base_uses_the_read_only_user(
    tmp_path: Path, sims: dict[str, SimulatedRouter]
) -> None:
    """A router naming a read-only API user is planned as that user: the PR job needs
    (and gets) only the read password."""
    sims["r1"].users["isk-read"] = "read-pw"  # noqa: S105 (test credential)
    repo = tmp_path / "isp"
    routers = routers_of({"r1": sims["r1"]})
    routers["r1"]["read_username"] = "isk-read"
    routers["r1"]["read_password_env"] = "ISK_ROUTER_R1_READ_PASSWORD"
    write(repo, routers, {"a": customer("A")})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    planned = isk(
        repo, "plan", "--base", "main", "--format", "json",
        env={"ISK_ROUTER_R1_READ_PASSWORD": "read-pw"},
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["routers"][0]["summary"]["create"] == 2


def test_edited_saved_plans_are_refused_without_writing(
    tmp_path: Path, sims: dict[str, SimulatedRouter]
) -> None:
    sim = sims["r1"]
    for index in range(12):
        sim.add(SECRET, {"name": f"u{index}", "password": "x", "comment": f"isk:customer u{index}"})
    sim.add(SECRET, {"name": "walkin", "password": "x", "comment": "cash customer"})
    repo = tmp_path / "isp"
    # Twelve managed secrets, one customer left: deleting eleven is over the safety limit.
    write(repo, routers_of({"r1": sim}), {"u0": customer("U0")})
    plan_file = tmp_path / "plan.json"
    saved = isk(repo, "plan", "--out", str(plan_file), env=passwords(sims))
    assert saved.returncode == 0, saved.stderr
    original = json.loads(plan_file.read_text())
    (router,) = original["routers"]
    assert router["status"] == "unsafe"
    before = sim.dump()

    unsafe_to_ok = json.loads(plan_file.read_text())
    unsafe_to_ok["routers"][0]["status"] = "ok"
    unsafe_to_ok["routers"][0]["unsafe_reason"] = None
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(unsafe_to_ok))
    # --force: the plan is for the tests' fixed day (and must still be refused as edited)
    refused = isk(repo, "apply", str(edited), "--auto-approve", "--force", env=passwords(sims))
    assert refused.returncode == 1
    assert (
        "r1: saved plan refused: its status is 'ok', but the plan for this state is 'unsafe'"
        in refused.stderr
    )
    assert sim.dump() == before

    unmanaged = json.loads(plan_file.read_text())
    unmanaged["routers"][0]["changes"].append(
        {"action": "delete", "kind": "secret", "name": "walkin", "customer": None,
         "reason": "gone", "fields": {}, "target": {}},
    )  # fmt: skip
    edited.write_text(json.dumps(unmanaged))
    refused = isk(repo, "apply", str(edited), "--auto-approve", "--force", env=passwords(sims))
    assert refused.returncode == 1
    assert "saved plan refused" in refused.stderr
    assert "delete secret 'walkin'" in refused.stderr
    assert sim.dump() == before
    assert len([line for line in refused.stderr.splitlines() if "refused" in line]) == 1

    forced = isk(repo, "apply", str(plan_file), "--auto-approve", "--force", env=passwords(sims))
    assert forced.returncode == 0, forced.stderr  # the unedited plan still applies
    assert sorted(item["name"] for item in sim.items(SECRET)) == ["u0", "walkin"]


def test_hostile_names_and_router_text_stay_text(
    tmp_path: Path, sims: dict[str, SimulatedRouter]
) -> None:
    sim = sims["r1"]
    sim.add(SECRET, {"name": "tech\x1b[2J", "password": "x", "comment": "line1\r\nline2\x07"})
    # An unmanaged entry named like a customer: a conflict that shows the router's comment.
    sim.add(SECRET, {"name": "zed", "password": "x", "comment": "hand\r\nmade\x1b[31m\u202e"})
    sim.add(SECRET, {"name": "eve", "password": "x", "comment": "isk:customer eve\x1b]0;pwn\x07"})
    repo = tmp_path / "isp"
    customers = {
        "budi": customer("Budi <!--"),
        "siti": customer("Siti *bold* | `tick` <b>x</b> @admin"),
        "zed": customer("Zed -->"),
    }
    write(repo, routers_of({"r1": sim}), customers)
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        result = isk(repo, "plan", "--format", fmt, env=passwords(sims))
        assert result.returncode == 0, result.stderr
        outputs[fmt] = result.stdout + result.stderr
    csv = isk(repo, "customers", "--format", "csv", env=passwords(sims))
    assert csv.returncode == 0, csv.stderr
    outputs["csv"] = csv.stdout + csv.stderr
    for fmt, output in outputs.items():
        assert not CONTROL.search(output), (fmt, CONTROL.search(output))
    markdown = outputs["markdown"]
    # Outside code spans (where GitHub shows everything as typed), no HTML at all: every
    # change is shown, none hidden in a comment (the marker is the only one).
    outside = re.sub(r"(`+)(?:(?!\1).)+?\1", "", markdown.split("\n", 1)[1])
    assert "<" not in outside.replace("\\<", ""), outside
    assert "@admin" not in outside
    for name in ("budi", "siti"):
        assert f"**create** secret `{name}`" in markdown
    assert "**conflict** secret `zed`" in markdown
    assert "delete** secret `eve`" in markdown
    assert "\\x1b" in outputs["text"] and "\\x1b" in markdown
    assert '"hand\\r\\nmade\\u001b[31m\\u202e"' in outputs["json"]


def test_control_characters_in_state_files_are_refused_with_their_line(tmp_path: Path) -> None:
    repo = tmp_path / "isp"
    write(repo, {"r1": {"host": "127.0.0.1"}}, {"budi": customer("Budi\u202eevil")})
    path = repo / "state/customers/budi.yaml"
    path.write_text(path.read_text() + 'address: "Jl. Merdeka\\r\\n\\e[31m"\n')
    result = isk(repo, "validate")
    assert result.returncode == 1
    assert re.search(
        r"state/customers/budi.yaml:1:\d+: name: text contains the control "
        r"character U\+202E",
        result.stderr,
    )
    assert re.search(
        r"state/customers/budi.yaml:\d+:\d+: address: text contains the control "
        r"character U\+000D carriage return",
        result.stderr,
    )
    assert not CONTROL.search(result.stdout + result.stderr)
