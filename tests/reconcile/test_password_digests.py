"""The password digest cache (state.digestcache, issue 12): a warm plan compares router
passwords without decrypting, gives the plan a decrypting one gives, and a tampered or
hostile cache can only cost a decryption, never hide a changed password."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from isk_reconcile.reconcile.apply import run_apply
from isk_reconcile.reconcile.run import run_plan
from isk_reconcile.render.plan_json import render_json
from isk_reconcile.state import digestcache, encryption
from isk_reconcile.state.encryption import encrypt, load_identity
from isk_reconcile.state.model import State
from tests.helpers import DEMO_RECIPIENT
from tests.helpers.isp import AS_OF, SECRET, Fleet, customer, repo

PASSWORDS = {"a": "alpha-pw-1", "b": "bravo-pw-2", "c": "charlie-pw-3"}


@pytest.fixture
def world(tmp_path: Path, demo_identity: Path) -> Iterator[tuple[State, Fleet, dict[str, str]]]:
    """Three customers with age-encrypted passwords, applied to a simulated router."""
    recipient = DEMO_RECIPIENT.read_text().strip()
    customers = {
        cid: customer(cid.upper(), password=encrypt(plain, [recipient]))
        for cid, plain in PASSWORDS.items()
    }
    settings = {"secrets": {"allow_plaintext": False, "recipients": [recipient]}}
    with ExitStack() as stack:
        fleet = Fleet(stack, ("r1",))
        state = repo(tmp_path, fleet, customers, settings=settings)
        environ = {**fleet.environ, "ISK_AGE_IDENTITY_FILE": str(demo_identity)}
        first = run_plan(state, AS_OF, environ=environ)  # cold: decrypts, fills the cache
        assert run_apply(first, state, environ=environ).ok
        yield state, fleet, environ


def plan_text(state: State, environ: dict[str, str]) -> str:
    return render_json(run_plan(state, AS_OF, environ=environ), saved=True)


def cache_file(environ: dict[str, str]) -> Path:
    return digestcache.cache_path(load_identity(environ))


def test_a_warm_plan_decrypts_nothing_and_plans_the_same(
    world: tuple[State, Fleet, dict[str, str]],
) -> None:
    state, _, environ = world
    assert cache_file(environ).is_file()
    encryption._decrypted.clear()  # the in-memory memo: every decryption lands there
    warm = plan_text(state, environ)
    assert encryption._decrypted == {}
    assert '"changes": []' in warm
    cache_file(environ).unlink()
    assert plan_text(state, environ) == warm  # the same plan, decrypting
    assert len(encryption._decrypted) == len(PASSWORDS)


def test_a_password_changed_on_the_router_is_still_seen(
    world: tuple[State, Fleet, dict[str, str]],
) -> None:
    state, fleet, environ = world
    sim = fleet["r1"]
    (item,) = [i for i in sim.items(SECRET) if i["name"] == "a"]
    sim.state.set(SECRET, {".id": item[".id"], "password": PASSWORDS["b"]})  # b's on a
    changed = run_plan(state, AS_OF, environ=environ)
    (change,) = changed.routers[0].changes
    assert (change.name, change.fields["password"][1]) == ("a", "(changed)")
    # applying that (warm) plan writes the real passwords, never a placeholder
    assert run_apply(changed, state, environ=environ).ok
    written = {i["name"]: i["password"] for i in sim.items(SECRET)}
    assert written == PASSWORDS


def _tampered(environ: dict[str, str], how: str) -> None:
    file = cache_file(environ)
    document = json.loads(file.read_text())
    entries = json.loads(document["entries"])  # one JSON text under one tag
    hashes = sorted(entries)
    if how == "entries swapped":
        first, second = hashes[0], hashes[1]
        entries[first], entries[second] = entries[second], entries[first]
    elif how == "every entry the same":
        for hashed in hashes:
            entries[hashed] = entries[hashes[0]]
    elif how == "digests made up":
        for hashed in hashes:
            entries[hashed] = "0" * 64
    elif how == "wrong types":
        document["entries"] = {hashes[0]: {"digest": 1}, "x": [None, []]}
    elif how == "another identity":
        document["public"] = "age1someoneelse"
    elif how == "the tag of other entries":
        document["entries"] = json.dumps(dict(sorted(entries.items())[:1]))
    if how in ("entries swapped", "every entry the same", "digests made up"):
        document["entries"] = json.dumps(entries)  # the tag kept: no longer theirs
    file.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "how",
    ["entries swapped", "every entry the same", "digests made up", "wrong types",
     "another identity", "the tag of other entries", "garbage", "pickle"],
)  # fmt: skip
def test_a_tampered_cache_changes_no_plan(
    world: tuple[State, Fleet, dict[str, str]], how: str
) -> None:
    state, fleet, environ = world
    sim = fleet["r1"]
    (item,) = [i for i in sim.items(SECRET) if i["name"] == "a"]
    sim.state.set(SECRET, {".id": item[".id"], "password": PASSWORDS["b"]})  # b's on a
    cache_file(environ).unlink()
    expected = plan_text(state, environ)  # decrypting everything
    assert '"(changed)"' in expected
    if how == "garbage":
        cache_file(environ).write_bytes(b"\x80\x00not json" * 50)
    elif how == "pickle":
        cache_file(environ).write_bytes(b"\x80\x04\x95cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
    else:
        _tampered(environ, how)
    assert plan_text(state, environ) == expected
    assert plan_text(state, environ) == expected  # and with the cache it wrote again


def test_the_cache_holds_no_plaintext_and_no_key(
    world: tuple[State, Fleet, dict[str, str]], demo_identity: Path
) -> None:
    _, _, environ = world
    text = cache_file(environ).read_text()
    identity = load_identity(environ)
    secret_line = next(
        line for line in demo_identity.read_text().splitlines() if line.startswith("AGE-SECRET")
    )
    for plain in PASSWORDS.values():
        assert plain not in text
    assert secret_line not in text and secret_line.lower() not in text
    key = digestcache.digest_key(identity)
    assert key.hex() not in text
    assert len(json.loads(json.loads(text)["entries"])) == len(PASSWORDS)


def test_a_sealed_password_never_shows_or_serialises_the_password() -> None:
    sealed = digestcache.SealedPassword(b"k" * 32, "0" * 64, "1" * 64, lambda: "the-plain")
    assert str(sealed) == "(sealed)" and "the-plain" not in repr(sealed)
    assert sealed.matches("the-plain")  # digest differs: decrypted and compared
    assert not sealed.matches("other")
    with pytest.raises(TypeError):
        __import__("pickle").dumps(sealed)
