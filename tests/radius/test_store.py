"""The RADIUS backend against real FreeRADIUS + PostgreSQL (stock schema)."""

from __future__ import annotations

import hashlib
import hmac
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from isk_reconcile.radius.run import apply_radius, plan_radius
from isk_reconcile.state.loader import load_state
from tests.radius.conftest import AS_OF, TEST_SECRET, Radius, free_port, write_radius_repo

TODAY = date.fromisoformat(AS_OF)


def access_request(radius: Radius, username: str, password: str) -> tuple[str, dict[str, str]]:
    """radclient's verdict ("Access-Accept"/"Access-Reject") and the reply attributes."""
    done = subprocess.run(
        [
            "radclient",
            "-x",
            "-r",
            "1",
            "-t",
            "3",
            f"127.0.0.1:{radius.auth_port}",
            "auth",
            radius.secret,
        ],
        input=f'User-Name = "{username}"\nUser-Password = "{password}"\n',
        capture_output=True,
        text=True,
        timeout=30,
    )
    verdict, attrs = "", {}
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("Received Access-"):
            verdict = line.split()[1]
        elif verdict and " = " in line:  # -x prints the request first: only the reply's
            key, value = line.split(" = ", 1)
            attrs[key.strip()] = value.strip().strip('"')
    return verdict, attrs


def rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_radius_repo(tmp_path / "isp", coa_port=free_port(socket.SOCK_DGRAM))


def test_apply_then_access_requests(repo, radius_server, radius_env, clean_store) -> None:
    state = load_state(repo, cache=False)
    plan = plan_radius(state, TODAY)
    assert plan.status == "ok", plan.error
    assert {(c.action, c.kind, c.name) for c in plan.changes} >= {
        ("create", "user", "budi"),
        ("create", "group", "isk:home-10m"),
        ("create", "nas", "127.0.0.1"),
    }
    result = apply_radius(state, TODAY)
    assert result.ok, (result.error, result.refused)

    verdict, attrs = access_request(radius_server, "budi", "budi-pass")
    assert verdict == "Access-Accept"
    assert attrs["Mikrotik-Rate-Limit"] == "10M/10M"
    assert attrs["Mikrotik-Group"] == "home-10m"
    assert attrs["Framed-Pool"] == "pool-home"
    assert "Framed-IP-Address" not in attrs

    assert access_request(radius_server, "budi", "wrong")[0] == "Access-Reject"
    assert access_request(radius_server, "sari", "sari-pass")[0] == "Access-Reject"
    verdict, attrs = access_request(radius_server, "tono", "tono-pass")
    assert verdict == "Access-Accept"
    assert attrs["Framed-IP-Address"] == "10.20.0.15"

    again = plan_radius(load_state(repo, cache=False), TODAY)
    assert again.changes == ()
    secret = rows(clean_store, "SELECT secret FROM nas WHERE nasname = '127.0.0.1'")
    assert secret == [(TEST_SECRET,)]


def test_isolate_mode_gives_isolate_attributes(tmp_path, radius_server, radius_env, clean_store):
    repo = write_radius_repo(
        tmp_path / "isp", coa_port=free_port(socket.SOCK_DGRAM), mode="isolate"
    )
    state = load_state(repo, cache=False)
    assert apply_radius(state, TODAY).ok
    verdict, attrs = access_request(radius_server, "sari", "sari-pass")
    assert verdict == "Access-Accept"
    assert attrs["Mikrotik-Rate-Limit"] == "512k/512k"
    assert attrs["Mikrotik-Group"] == "isolir"
    assert attrs["Mikrotik-Address-List"] == "isolir"


def test_hand_made_rows_untouched(repo, radius_server, radius_env, clean_store) -> None:
    with psycopg.connect(clean_store) as conn:
        conn.execute(
            "INSERT INTO radcheck (username, attribute, op, value) "
            "VALUES ('staff', 'Cleartext-Password', ':=', 'staff-pass')"
        )
        conn.execute(
            "INSERT INTO radusergroup (username, groupname, priority) VALUES ('staff', 'noc', 1)"
        )
        conn.execute(
            "INSERT INTO radgroupreply (groupname, attribute, op, value) "
            "VALUES ('noc', 'Mikrotik-Rate-Limit', ':=', '1G/1G')"
        )
        conn.execute(
            "INSERT INTO nas (nasname, shortname, secret) VALUES ('10.9.9.9', 'other', 'x')"
        )
    before = rows(clean_store, "SELECT * FROM radcheck ORDER BY id")
    state = load_state(repo, cache=False)
    plan = plan_radius(state, TODAY)
    assert all(change.name not in ("staff", "noc", "10.9.9.9") for change in plan.changes)
    assert plan.summary["unmanaged"] == 2
    assert apply_radius(state, TODAY).ok
    assert rows(clean_store, "SELECT * FROM radcheck WHERE username = 'staff'") == before
    assert rows(clean_store, "SELECT groupname FROM radusergroup WHERE username = 'staff'") == [
        ("noc",)
    ]
    assert rows(clean_store, "SELECT value FROM radgroupreply WHERE groupname = 'noc'") == [
        ("1G/1G",)
    ]
    verdict, attrs = access_request(radius_server, "staff", "staff-pass")
    assert (verdict, attrs["Mikrotik-Rate-Limit"]) == ("Access-Accept", "1G/1G")
    assert plan_radius(load_state(repo, cache=False), TODAY).changes == ()


def test_conflicting_hand_made_user_is_not_taken_over(repo, radius_env, clean_store) -> None:
    with psycopg.connect(clean_store) as conn:
        conn.execute(
            "INSERT INTO radcheck (username, attribute, op, value) "
            "VALUES ('budi', 'Cleartext-Password', ':=', 'old')"
        )
    state = load_state(repo, cache=False)
    plan = plan_radius(state, TODAY)
    (conflict,) = [c for c in plan.changes if c.name == "budi"]
    assert conflict.action == "conflict"
    assert apply_radius(state, TODAY).ok
    assert rows(clean_store, "SELECT value FROM radcheck WHERE username = 'budi'") == [("old",)]
    adopted = apply_radius(state, TODAY, adopt=True)
    assert adopted.ok
    assert rows(
        clean_store,
        "SELECT value FROM radcheck WHERE username = 'budi' AND attribute = 'Cleartext-Password'",
    ) == [("budi-pass",)]


def test_plan_hides_passwords_and_secrets(repo, radius_env, clean_store) -> None:
    from isk_reconcile.reconcile.plan_types import Plan
    from isk_reconcile.render.plan_json import render_json

    state = load_state(repo, cache=False)
    router_plan = plan_radius(state, TODAY)
    text = render_json(Plan(TODAY, None, (router_plan,)), saved=True)
    for secret in ("budi-pass", "tono-pass", TEST_SECRET):
        assert secret not in text
    assert '"target": "radius"' in text
    fields = {c.name: c.fields for c in router_plan.changes}
    assert fields["budi"]["check:Cleartext-Password"] == (None, "(set)")
    assert fields["127.0.0.1"]["secret"] == (None, "(set)")


# --- Disconnect-Request -------------------------------------------------------------------


class Responder:
    """A loopback stand-in for a router's RFC 5176 port: records each request after
    checking its authenticators independently of the code under test, answers ACK."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[dict] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                packet, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            self.received.append(self.parse(packet))
            code, ident = 41, packet[1]
            header = struct.pack("!BBH", code, ident, 20)
            auth = hashlib.md5(header + packet[4:20] + self.secret).digest()
            self.sock.sendto(header + auth, peer)

    def parse(self, packet: bytes) -> dict:
        code, _, length = struct.unpack("!BBH", packet[:4])
        attrs, offset, body = {}, 20, packet[:length]
        mac_at = None
        while offset < length:
            kind, size = body[offset], body[offset + 1]
            attrs[kind] = body[offset + 2 : offset + size]
            if kind == 80:
                mac_at = offset + 2
            offset += size
        zeroed = body[:4] + bytes(16) + body[20:]
        request_auth_ok = hashlib.md5(zeroed + self.secret).digest() == body[4:20]
        mac_ok = False
        if mac_at is not None:
            blank = zeroed[:mac_at] + bytes(16) + zeroed[mac_at + 16 :]
            mac = hmac.new(self.secret, blank, hashlib.md5).digest()
            mac_ok = hmac.compare_digest(mac, body[mac_at : mac_at + 16])
        return {"code": code, "attrs": attrs, "auth_ok": request_auth_ok, "mac_ok": mac_ok}

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def responder() -> Iterator[Responder]:
    server = Responder(TEST_SECRET.encode())
    yield server
    server.close()


def sari_online_then_overdue(repo: Path, dsn: str) -> None:
    """Apply with a payment for sari, open her session in radacct, then drop the payment
    from the ledger: the next apply suspends her while she is online."""
    ledger = repo / "payments/2026-11.yaml"
    paid = ledger.read_text()
    ledger.write_text(
        paid + "- id: P-9\n  customer: sari\n  amount: 150000\n  date: 2026-11-01\n  method: cash\n"
    )
    assert apply_radius(load_state(repo, cache=False), TODAY).ok
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "framedipaddress, acctstarttime) VALUES "
            "('81a00001', 'u1', 'sari', '127.0.0.1', '10.20.0.77', now()),"
            "('81a00002', 'u2', 'budi', '127.0.0.1', '10.20.0.78', now())"
        )
    ledger.write_text(paid)


def test_disconnect_request_for_suspended_customer(
    tmp_path, responder, radius_env, clean_store
) -> None:
    repo = write_radius_repo(tmp_path / "isp", coa_port=responder.port)
    sari_online_then_overdue(repo, clean_store)
    state = load_state(repo, cache=False)
    plan = plan_radius(state, TODAY)
    assert [(c.action, c.kind, c.name) for c in plan.changes] == [
        ("disable", "user", "sari"),
        ("disconnect", "session", "sari"),
    ]
    result = apply_radius(state, TODAY)
    assert result.ok, result
    assert [(r.username, r.outcome) for r in result.disconnects] == [("sari", "ack")]
    (packet,) = responder.received
    assert packet["code"] == 40
    assert packet["auth_ok"] and packet["mac_ok"]
    assert packet["attrs"][1] == b"sari"
    assert packet["attrs"][44] == b"81a00001"
    assert socket.inet_ntoa(packet["attrs"][8]) == "10.20.0.77"
    assert plan_radius(load_state(repo, cache=False), TODAY).changes == ()


def test_disconnect_timeout_is_reported(tmp_path, radius_env, clean_store) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        repo = write_radius_repo(tmp_path / "isp", coa_port=silent.getsockname()[1])
        (repo / "state/settings.yaml").write_text(
            "secrets: {allow_plaintext: true}\nradius: {coa_timeout: 0.5}\n"
        )
        sari_online_then_overdue(repo, clean_store)
        result = apply_radius(load_state(repo, cache=False), TODAY)
        assert [(r.username, r.outcome) for r in result.disconnects] == [("sari", "timeout")]
        assert not result.ok
    finally:
        silent.close()
