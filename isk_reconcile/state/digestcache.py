"""The password digest cache (issue 12): a warm `isk plan` compares router passwords with
the repository's without decrypting any.

For each age ciphertext that decrypted, it keeps (by the sha256 of the ciphertext) a keyed
digest of the plaintext: HMAC-SHA256 under a key derived from the age identity, bound to
that ciphertext, never the plaintext or the key. A router password is "equal" when its
digest under the same key and ciphertext is the one stored; when it is not, the password
is decrypted and compared as before (`SealedPassword.matches`), so the cache can only
save a decryption, never make a different password look equal.

The file (plain JSON in the user's cache directory, one per identity) is read as data
only. Its entries are one JSON text with a tag (an HMAC over exactly that text) that only
the holder of the identity can make: entries that were changed, moved to another
ciphertext or made up do not check out, and are all ignored (the passwords are
decrypted). One tag, not one per entry: checking 10,000 tags cost more than the rest of
reading the file. Nothing in it can make a password that did not decrypt look
decryptable, or two different ones look equal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from isk_reconcile.state.encryption import Identity
from isk_reconcile.state.parsecache import cache_root

FORMAT = "isk-password-digests/2"
_DIGEST = hashlib.sha256


def digest_key(identity: Identity) -> bytes:
    """The HMAC key: derived from the identity's secret (one-way), never stored."""
    return hmac.new(
        str(identity.key).encode("ascii"), b"isk password digest key/1", _DIGEST
    ).digest()


def ciphertext_hash(value: str) -> str:
    return hashlib.sha256(value.encode("ascii", "replace")).hexdigest()


def password_digest(key: bytes, hashed: str, plaintext: str) -> str:
    """The digest of `plaintext` as the password of the ciphertext hashed `hashed`."""
    message = b"password\0" + hashed.encode("ascii") + b"\0" + plaintext.encode("utf-8")
    return hmac.digest(key, message, "sha256").hex()  # one-shot: a plan makes 10,000


def _tag(key: bytes, entries: str) -> str:
    return hmac.new(key, b"entries\0" + entries.encode("utf-8"), _DIGEST).hexdigest()


def cache_path(identity: Identity) -> Path:
    name = hashlib.sha256(identity.public.encode("ascii")).hexdigest()[:24]
    return cache_root() / f"password-digests-{name}.json"


def load(identity: Identity, key: bytes) -> dict[str, str]:
    """Ciphertext hash -> digest, when the entries' tag checks out (best effort)."""
    try:
        document = json.loads(cache_path(identity).read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return {}
    entries, tag = document.get("entries"), document.get("tag")
    if document.get("public") != identity.public or not isinstance(entries, str):
        return {}
    if not (isinstance(tag, str) and hmac.compare_digest(tag, _tag(key, entries))):
        return {}
    # Written by the holder of the identity (the tag says so): its own well-formed text.
    try:
        found = json.loads(entries)
    except (ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def save(identity: Identity, key: bytes, digests: Mapping[str, str]) -> None:
    """Keep exactly `digests` (those of the passwords in use: the file does not grow with
    every password ever changed). Best effort: never an error."""
    file = cache_path(identity)
    entries = json.dumps(dict(digests), separators=(",", ":"))
    document = {"format": FORMAT, "public": identity.public, "entries": entries,
                "tag": _tag(key, entries)}  # fmt: skip
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(json.dumps(document))
            os.replace(temporary, file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


class SealedPassword(str):
    """A desired password known by its digest only. As text it is a fixed placeholder
    (never the password); `matches` compares it with a router's plaintext password,
    decrypting only when the digests differ."""

    _decrypt: Callable[[], str]
    _digest: str
    _hashed: str
    _key: bytes

    def __new__(cls, key: bytes, hashed: str, digest: str, decrypt: Callable[[], str]):
        sealed = super().__new__(cls, "(sealed)")
        sealed._key, sealed._hashed, sealed._digest, sealed._decrypt = key, hashed, digest, decrypt
        return sealed

    def matches(self, plaintext: str) -> bool:
        computed = password_digest(self._key, self._hashed, plaintext)
        if hmac.compare_digest(computed, self._digest):
            return True
        return self._decrypt() == plaintext  # different, or a digest not to be trusted

    def __reduce__(self) -> tuple:  # never pickled, never copied with its key
        raise TypeError("a sealed password is not serialisable")


def same_password(wanted: str, live: str) -> bool:
    """Whether the router's `live` password is the desired one."""
    if isinstance(wanted, SealedPassword):
        return wanted.matches(live)
    return live == wanted
