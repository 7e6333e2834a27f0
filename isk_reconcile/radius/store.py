"""The FreeRADIUS PostgreSQL store (psycopg 3): read what isk manages, write a plan.

Reads are one query per table, whatever the number of customers. Apply runs in one
transaction under an advisory lock (two applies serialise; a crash leaves the store as
it was, and the next apply converges), deletes the changed users' and groups' managed
rows and COPYs the desired ones back (bulk, not one statement per row).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import psycopg

from isk_reconcile.errors import IskError
from isk_reconcile.radius.desired import (
    GROUP_PRIORITY,
    MANAGED_CHECK,
    MANAGED_REPLY,
    Attr,
    DesiredStore,
)

# An arbitrary constant: the advisory lock every isk apply on this store takes.
APPLY_LOCK = 0x15C_4AD1
STATEMENT_TIMEOUT_MS = 120_000  # nothing hangs: every statement has a deadline


@dataclass(frozen=True)
class Session:
    username: str
    session_id: str
    nas_address: str
    framed_ip: str | None


@dataclass(frozen=True)
class NasRow:
    nasname: str
    shortname: str
    secret: str = field(repr=False)
    description: str


@dataclass(frozen=True)
class LiveStore:
    memberships: Mapping[str, tuple[tuple[str, int], ...]]  # username -> (group, priority)
    check: Mapping[str, frozenset[Attr]]  # username -> its rows of managed attributes
    reply: Mapping[str, frozenset[Attr]]
    group_check: Mapping[str, frozenset[Attr]]  # prefixed groups only
    group_reply: Mapping[str, frozenset[Attr]]
    nas: Mapping[str, NasRow]
    sessions: tuple[Session, ...] = ()

    def fingerprint(self) -> str:
        """sha256 over the managed rows (sessions excluded: they come and go)."""
        digest = hashlib.sha256()
        for part in (self.check, self.reply, self.group_check, self.group_reply):
            for key in sorted(part):
                digest.update(json.dumps([key, sorted(part[key])]).encode())
        for key in sorted(self.memberships):
            digest.update(json.dumps([key, sorted(self.memberships[key])]).encode())
        for key in sorted(self.nas):
            row = self.nas[key]
            secret = hashlib.sha256(row.secret.encode()).hexdigest()
            digest.update(json.dumps([key, row.shortname, secret, row.description]).encode())
        return digest.hexdigest()


def dsn_from_env(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise IskError(f"RADIUS store: set ${variable} to its PostgreSQL connection string")
    return value


def connect(dsn: str, timeout: float = 10) -> psycopg.Connection:
    try:
        return psycopg.connect(
            dsn,
            connect_timeout=max(1, int(timeout)),
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        )
    except psycopg.Error as problem:
        # The DSN may hold a password: name the failure, never the connection string.
        raise IskError(f"RADIUS store: cannot connect: {_first_line(problem)}") from None


def _first_line(problem: BaseException) -> str:
    text = str(problem).strip().splitlines()
    return text[0] if text else type(problem).__name__


def _grouped(rows: Iterable[tuple[str, str, str, str]]) -> dict[str, frozenset[Attr]]:
    grouped: dict[str, set[Attr]] = {}
    for name, attribute, op, value in rows:
        grouped.setdefault(name, set()).add((attribute, op, value))
    return {name: frozenset(attrs) for name, attrs in grouped.items()}


def read_store(conn: psycopg.Connection, prefix: str) -> LiveStore:
    """Everything a plan needs, one query per table (in the caller's transaction)."""
    with conn.cursor() as cur:
        cur.execute("SELECT username, groupname, priority FROM radusergroup")
        memberships: dict[str, list[tuple[str, int]]] = {}
        for username, group, priority in cur:
            memberships.setdefault(username, []).append((group, priority))
        cur.execute(
            "SELECT username, attribute, op, value FROM radcheck WHERE attribute = ANY(%s)",
            (list(MANAGED_CHECK),),
        )
        check = _grouped(cur)
        cur.execute(
            "SELECT username, attribute, op, value FROM radreply WHERE attribute = ANY(%s)",
            (list(MANAGED_REPLY),),
        )
        reply = _grouped(cur)
        cur.execute(
            "SELECT groupname, attribute, op, value FROM radgroupcheck "
            "WHERE starts_with(groupname, %s)",
            (prefix,),
        )
        group_check = _grouped(cur)
        cur.execute(
            "SELECT groupname, attribute, op, value FROM radgroupreply "
            "WHERE starts_with(groupname, %s)",
            (prefix,),
        )
        group_reply = _grouped(cur)
        cur.execute("SELECT nasname, shortname, secret, coalesce(description, '') FROM nas")
        nas = {row[0]: NasRow(*row) for row in cur}
        cur.execute(
            "SELECT username, acctsessionid, host(nasipaddress), host(framedipaddress) "
            "FROM radacct WHERE acctstoptime IS NULL AND username IS NOT NULL"
        )
        sessions = tuple(Session(*row) for row in cur)
    return LiveStore(
        {name: tuple(rows) for name, rows in memberships.items()},
        check,
        reply,
        group_check,
        group_reply,
        nas,
        sessions,
    )


@dataclass(frozen=True)
class Writes:
    """What apply rewrites: these users', groups' and nas rows are replaced by the desired
    ones (a name absent from the desired store is only deleted)."""

    users: frozenset[str]
    groups: frozenset[str]
    nas: frozenset[str]


def write_store(
    conn: psycopg.Connection, desired: DesiredStore, writes: Writes, *, locked: bool = False
) -> None:
    """Replace the managed rows of `writes` with the desired ones, in the current
    transaction (the caller commits)."""
    prefix = desired.prefix
    users, groups, nas = sorted(writes.users), sorted(writes.groups), sorted(writes.nas)
    with conn.cursor() as cur:
        if not locked:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (APPLY_LOCK,))
        _delete_managed(cur, prefix, users, groups, nas)
        _insert_desired(cur, desired, users, groups, nas)


def _delete_managed(
    cur: psycopg.Cursor, prefix: str, users: list[str], groups: list[str], nas: list[str]
) -> None:
    """The managed rows of these users, groups and NAS entries (isk's attributes, groups
    and descriptions only: rows added by hand stay)."""
    cur.execute(
        "DELETE FROM radcheck WHERE username = ANY(%s) AND attribute = ANY(%s)",
        (users, list(MANAGED_CHECK)),
    )
    cur.execute(
        "DELETE FROM radreply WHERE username = ANY(%s) AND attribute = ANY(%s)",
        (users, list(MANAGED_REPLY)),
    )
    cur.execute(
        "DELETE FROM radusergroup WHERE username = ANY(%s) AND starts_with(groupname, %s)",
        (users, prefix),
    )
    cur.execute("DELETE FROM radgroupcheck WHERE groupname = ANY(%s)", (groups,))
    cur.execute("DELETE FROM radgroupreply WHERE groupname = ANY(%s)", (groups,))
    cur.execute(
        "DELETE FROM nas WHERE nasname = ANY(%s) AND starts_with(description, %s)",
        (nas, prefix),
    )


def _insert_desired(
    cur: psycopg.Cursor, desired: DesiredStore, users: list[str], groups: list[str], nas: list[str]
) -> None:
    """The desired rows of these users, groups and NAS entries (bulk COPY)."""
    wanted = [desired.users[name] for name in users if name in desired.users]
    _copy(
        cur,
        "radcheck (username, attribute, op, value)",
        ((u.username, *row) for u in wanted for row in sorted(u.check)),
    )
    _copy(
        cur,
        "radreply (username, attribute, op, value)",
        ((u.username, *row) for u in wanted for row in sorted(u.reply)),
    )
    _copy(
        cur,
        "radusergroup (username, groupname, priority)",
        ((u.username, u.group, GROUP_PRIORITY) for u in wanted),
    )
    kept = [desired.groups[name] for name in groups if name in desired.groups]
    _copy(
        cur,
        "radgroupcheck (groupname, attribute, op, value)",
        ((g.name, *row) for g in kept for row in sorted(g.check)),
    )
    _copy(
        cur,
        "radgroupreply (groupname, attribute, op, value)",
        ((g.name, *row) for g in kept for row in sorted(g.reply)),
    )
    _copy(
        cur,
        "nas (nasname, shortname, type, secret, description)",
        (
            (n.nasname, n.shortname, "other", n.secret, n.description)
            for name in nas
            if (n := desired.nas.get(name)) is not None
        ),
    )


def _copy(cur: psycopg.Cursor, table: str, rows: Iterable[tuple[object, ...]]) -> None:
    with cur.copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def lock(conn: psycopg.Connection) -> None:
    """Serialise applies: held until the transaction ends."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (APPLY_LOCK,))
