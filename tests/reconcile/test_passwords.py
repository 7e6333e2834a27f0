"""reconcile.passwords: the stored PPPoE passwords a plan or an apply needs, decrypted."""

from __future__ import annotations

import os
from pathlib import Path

from isk_reconcile.reconcile.passwords import decrypt_passwords, resolve_sources
from isk_reconcile.state import encryption
from isk_reconcile.state.loader import load_state


def test_demo_identity_decrypts_the_example_repo(example_repo: Path) -> None:
    state = load_state(example_repo)
    identity = encryption.load_identity()
    assert "DEMO" in identity.source or "demo" in identity.source
    stored = {cid: c.pppoe.password for cid, c in state.customers.items() if c.pppoe.password}
    plaintexts = decrypt_passwords(state, os.environ)
    assert plaintexts.keys() == stored.keys()
    assert all(text and not text.startswith("age:") for text in plaintexts.values())


def test_each_distinct_stored_value_maps_to_its_plaintext() -> None:
    identity_text, public = encryption.generate_identity()
    values = [encryption.encrypt(f"pw{n}", [public]) for n in range(5)]
    result = resolve_sources([*values, values[0], "plain"], {"ISK_AGE_IDENTITY": identity_text})
    assert result == {**{v: f"pw{n}" for n, v in enumerate(values)}, "plain": "plain"}
