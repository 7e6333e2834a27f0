"""Values read from and written to routers keep plaintext passwords out of their repr
(which ends up in logs, tracebacks and test failure messages)."""

from __future__ import annotations

from isk_reconcile.routeros.types import SECRET, LiveItem, Write

PLAINTEXT = "Rahasia-plaintext-42"


def test_a_live_secret_hides_its_password_and_shows_the_rest() -> None:
    item = LiveItem("*1A", {"name": "budi", "password": PLAINTEXT, "profile": "home-10m"})
    shown = repr(item)
    assert PLAINTEXT not in shown
    assert (
        shown == "LiveItem('*1A' {'name': 'budi', 'password': '(hidden)', 'profile': 'home-10m'})"
    )


def test_a_write_hides_its_secret_fields_and_shows_the_rest() -> None:
    write = Write(SECRET, "add", {"name": "budi", "password": PLAINTEXT}, "budi", "budi")
    assert repr(write) == "Write(/ppp/secret/add 'budi' {'name': 'budi', 'password': '(hidden)'})"
    extra = Write(
        SECRET,
        "set",
        {".id": "*1A", "caller-id": "AA:BB"},
        "budi",
        secret_fields=frozenset({"caller-id"}),
    )
    assert "AA:BB" not in repr(extra) and "'*1A'" in repr(extra)
