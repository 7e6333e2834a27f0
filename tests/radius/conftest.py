"""Real FreeRADIUS + PostgreSQL for the RADIUS backend tests (Debian packages).

One throwaway PostgreSQL cluster per session (initdb in a temp dir, loopback only, a free
port; run as the `postgres` system user when the tests run as root, as CI does) holding
FreeRADIUS's STOCK PostgreSQL schema from the installed package, and one FreeRADIUS
server in the foreground with a generated copy of /etc/freeradius/3.0: the sql module
enabled (dialect postgresql, pointing at that cluster), auth and acct on 127.0.0.1 on
free ports, and a client 127.0.0.1 with a test secret. Missing binaries skip the tests
with the reason; .ci/run installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.radius.services import (
    PACKAGES,
    RADDB,
    PgCluster,
    Unavailable,
    free_port,
    postgres_cluster,
)

TEST_SECRET = "isk-test-secret"


@dataclass(frozen=True)
class Radius:
    auth_port: int
    acct_port: int
    secret: str
    log: Path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        with postgres_cluster() as cluster:
            yield cluster
    except Unavailable as missing:
        pytest.skip(str(missing))


SITE = """\
server default {
listen {
	type = auth
	ipaddr = 127.0.0.1
	port = %(auth)d
}
listen {
	type = acct
	ipaddr = 127.0.0.1
	port = %(acct)d
}
authorize {
	preprocess
	sql
	pap
}
authenticate {
	Auth-Type PAP {
		pap
	}
}
preacct {
	preprocess
	acct_unique
}
accounting {
	sql
}
session {
	sql
}
post-auth {
	Post-Auth-Type REJECT {
		attr_filter.access_reject
	}
}
}
"""

CLIENTS = """\
client isk-test {
	ipaddr = 127.0.0.1
	secret = %s
	require_message_authenticator = no
}
"""

# Modules the minimal site uses (and their dependencies); the others (eap with its
# certificates, ...) only slow the start-up down.
MODULES = ("always", "attr_filter", "expr", "pap", "preprocess", "sql")


def _sql_module(port: int) -> str:
    text = (RADDB / "mods-available/sql").read_text()
    text = re.sub(r'(?m)^(\s*)dialect = "sqlite"', r'\1dialect = "postgresql"', text)
    text = re.sub(r'(?m)^(\s*)driver = "rlm_sql_null"', r'\1driver = "rlm_sql_${dialect}"', text)
    text = re.sub(
        r'(?m)^(\s*)radius_db = "radius"',
        rf'\1radius_db = "host=127.0.0.1 port={port} dbname=radius user=postgres"',
        text,
    )
    return text


def _radius_conf(confdir: Path, workdir: Path) -> None:
    conf = (RADDB / "radiusd.conf").read_text()
    conf = re.sub(r"(?m)^logdir = .*$", f"logdir = {workdir}", conf)
    conf = re.sub(r"(?m)^run_dir = .*$", f"run_dir = {workdir}", conf)
    conf = re.sub(r"(?m)^\s*(user|group) = freerad\s*$", "", conf)  # stay the test user
    (confdir / "radiusd.conf").write_text(conf)


def _make_confdir(workdir: Path, pg_port: int, auth: int, acct: int) -> Path:
    confdir = workdir / "raddb"
    shutil.copytree(RADDB, confdir, symlinks=False, ignore=shutil.ignore_patterns("certs"))
    enabled = confdir / "mods-enabled"
    shutil.rmtree(enabled)
    enabled.mkdir()
    for module in MODULES:
        if module != "sql":
            shutil.copy(confdir / "mods-available" / module, enabled / module)
    (enabled / "sql").write_text(_sql_module(pg_port))
    sites = confdir / "sites-enabled"
    shutil.rmtree(sites)
    sites.mkdir()
    (sites / "default").write_text(SITE % {"auth": auth, "acct": acct})
    (confdir / "clients.conf").write_text(CLIENTS % TEST_SECRET)
    _radius_conf(confdir, workdir)
    return confdir


@pytest.fixture(scope="session")
def radius_server(pg_cluster: PgCluster) -> Iterator[Radius]:
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    if binary is None or shutil.which("radclient") is None:
        pytest.skip(f"FreeRADIUS not installed (apt-get install {PACKAGES})")
    workdir = Path(tempfile.mkdtemp(prefix="isk-radius-"))
    auth, acct = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    confdir = _make_confdir(workdir, pg_cluster.port, auth, acct)
    log = workdir / "radius.log"
    proc = subprocess.Popen(
        [binary, "-f", "-d", str(confdir), "-l", str(log)]
        + (["-xx"] if os.environ.get("ISK_RADIUS_DEBUG") else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_radius(proc, log, auth)
        yield Radius(auth, acct, TEST_SECRET, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_radius(proc: subprocess.Popen, log: Path, port: int) -> None:
    """Until the server says it is ready, then until it answers a probe: an Access-Request
    for a user that does not exist gets a reply (reject) once the sql module is up. No
    probe is sent before "Ready to process requests": requests that reach it while it is
    still starting were seen to leave it answering nothing at all."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"freeradius exited with {proc.returncode}:\n{text[-3000:]}")
        if log.exists() and "Ready to process requests" in log.read_text():
            break
        time.sleep(0.1)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"freeradius exited with {proc.returncode}:\n{text[-3000:]}")
        done = subprocess.run(
            ["radclient", "-r", "1", "-t", "2", f"127.0.0.1:{port}", "auth", TEST_SECRET],
            input="User-Name = isk-probe\nUser-Password = x\n",
            capture_output=True,
            text=True,
            timeout=10,
        )
        if "Received Access-" in done.stdout:
            return
        time.sleep(0.5)
    raise RuntimeError(f"freeradius did not answer on 127.0.0.1:{port}")


# --- a small RADIUS ISP and a clean store per test ---------------------------------------

PROFILES = {
    "home-10m": "price: 150000\nrate_limit: 10M/10M\nremote_address: pool-home\n",
    "home-20m": "price: 200000\nrate_limit: 20M/20M\nremote_address: pool-home\n",
    "isolir": "rate_limit: 512k/512k\nremote_address: pool-isolir\naddress_list: isolir\n",
}
# id -> (extra YAML, password); all start 2026-11-01, as_of 2026-11-20 (grace 3 days).
CUSTOMERS = {
    "budi": ("", "budi-pass"),  # paid: enabled on home-10m
    "sari": ("", "sari-pass"),  # unpaid: suspended
    "tono": ("  remote_address: 10.20.0.15\n", "tono-pass"),  # paid, static IP
    "hand": ("", "hand-pass"),  # paid
}
PAID = ("budi", "tono", "hand")
AS_OF = "2026-11-20"
STORE_TABLES = "radcheck, radreply, radgroupcheck, radgroupreply, radusergroup, nas, radacct"


def write_radius_repo(
    repo: Path, coa_port: int, mode: str = "disable", api_port: int | None = None
) -> Path:
    """A state repository with one RADIUS router `r1` on loopback (plaintext passwords:
    the test needs no age identity)."""
    (repo / "state/profiles").mkdir(parents=True)
    (repo / "state/customers").mkdir(parents=True)
    (repo / "payments").mkdir(parents=True)
    (repo / "state/settings.yaml").write_text(
        f"secrets: {{allow_plaintext: true}}\nsuspend: {{mode: {mode}, isolate_profile: isolir}}\n"
    )
    (repo / "state/routers.yaml").write_text(
        "r1:\n  host: 127.0.0.1\n  backend: radius\n"
        f"  coa_port: {coa_port}\n  password_env: ISK_ROUTER_R1_PASSWORD\n"
        "  username: isk-api\n" + (f"  port: {api_port}\n" if api_port else "")
    )
    for name, text in PROFILES.items():
        (repo / f"state/profiles/{name}.yaml").write_text(text)
    for cid, (extra, password) in CUSTOMERS.items():
        (repo / f"state/customers/{cid}.yaml").write_text(
            f"name: {cid.title()}\nrouter: r1\nstart: 2026-11-01\nprofile: home-10m\n"
            f"pppoe:\n  password: {password}\n{extra}"
        )
    ledger = "".join(
        f"- id: P-{n}\n  customer: {cid}\n  amount: 150000\n  date: 2026-11-01\n  method: cash\n"
        for n, cid in enumerate(PAID, 1)
    )
    (repo / "payments/2026-11.yaml").write_text(ledger)
    return repo


@pytest.fixture
def radius_env(monkeypatch: pytest.MonkeyPatch, pg_cluster: PgCluster) -> str:
    monkeypatch.setenv("ISK_RADIUS_DSN", pg_cluster.dsn)
    monkeypatch.setenv("ISK_ROUTER_R1_RADIUS_SECRET", TEST_SECRET)
    return pg_cluster.dsn


@pytest.fixture
def clean_store(pg_cluster: PgCluster) -> Iterator[str]:
    """The session's store, emptied before the test."""
    import psycopg

    with psycopg.connect(pg_cluster.dsn) as conn:
        conn.execute(f"TRUNCATE {STORE_TABLES}")
    yield pg_cluster.dsn
