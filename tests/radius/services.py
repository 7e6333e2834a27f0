"""Throwaway PostgreSQL with FreeRADIUS's stock schema, for the RADIUS tests and the
benchmark (bench/radius_bench.py). Loopback only."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RADDB = Path("/etc/freeradius/3.0")
SCHEMA = RADDB / "mods-config/sql/main/postgresql/schema.sql"
PACKAGES = "postgresql freeradius freeradius-postgresql freeradius-utils"


class Unavailable(Exception):
    """The Debian packages are not installed (the reason says which)."""


@dataclass(frozen=True)
class PgCluster:
    port: int
    dsn: str


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _as_db_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _wait_tcp(port: int, deadline: float, proc: subprocess.Popen, what: str) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start listening on 127.0.0.1:{port}")


@contextmanager
def postgres_cluster() -> Iterator[PgCluster]:
    """A throwaway cluster on 127.0.0.1 (free port) with the `radius` database holding
    FreeRADIUS's stock schema; removed on exit. Unavailable when not installed."""
    bindir = _pg_bin()
    if bindir is None or not SCHEMA.exists():
        raise Unavailable(f"PostgreSQL/FreeRADIUS not installed (apt-get install {PACKAGES})")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("no postgres system user to run the test cluster as") from None
    work = Path(tempfile.mkdtemp(prefix="isk-pg-"))
    work.chmod(0o755)
    data, sock = work / "data", work / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(
        _as_db_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    server = subprocess.Popen(
        _as_db_user(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sock),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_tcp(port, time.monotonic() + 60, server, "postgres")
        psql = [
            str(bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
        ]
        _wait_ready(psql)
        subprocess.run(
            [*psql, "-c", "CREATE DATABASE radius"], check=True, timeout=60, capture_output=True
        )
        subprocess.run(
            [*psql, "-d", "radius", "-f", str(SCHEMA)], check=True, timeout=60, capture_output=True
        )
        yield PgCluster(port, f"host=127.0.0.1 port={port} user=postgres dbname=radius")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(psql: list[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        done = subprocess.run([*psql, "-c", "SELECT 1"], capture_output=True, timeout=30)
        if done.returncode == 0 or time.monotonic() > deadline:
            return
        time.sleep(0.1)
