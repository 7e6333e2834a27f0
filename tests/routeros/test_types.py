"""Router values read from a router (routeros.types)."""

from __future__ import annotations


def test_live_item_repr_hides_the_password() -> None:
    from isk_reconcile.routeros.types import LiveItem

    shown = repr(LiveItem("*1", {"name": "a", "password": "TopSecret42"}))
    assert "TopSecret42" not in shown and "'name': 'a'" in shown
