"""PPPoE passwords encrypted with age (SPEC §7).

A password in git is `age:<base64 of the binary age file>`, encrypted to the
recipients in settings.secrets. Decrypting needs the identity, taken from
`$ISK_AGE_IDENTITY` (the key itself) or `$ISK_AGE_IDENTITY_FILE` (a file in the age
format: `#` comment lines and one `AGE-SECRET-KEY-1...` line). Plaintext passwords only
exist in memory, and never in a message, repr or log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets as _random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage

from isk_reconcile.errors import IskError

PREFIX = "age:"
AGE_HEADER = b"age-encryption.org/v1\n"
IDENTITY_VARIABLE = "ISK_AGE_IDENTITY"
IDENTITY_FILE_VARIABLE = "ISK_AGE_IDENTITY_FILE"
# No 0/O, 1/l/I: technicians type these into routers and CPEs by hand.
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True, eq=False)
class Identity:
    """A parsed age identity. Its repr names only the public key."""

    key: pyrage.x25519.Identity
    public: str
    source: str  # where it came from, e.g. "$ISK_AGE_IDENTITY_FILE (demo/age-identity.txt)"

    def __repr__(self) -> str:
        return f"Identity(public={self.public}, source={self.source})"


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def check_ciphertext(value: str) -> str | None:
    """Why an `age:` value is malformed (None when it looks like an age file); no decryption."""
    body = value[len(PREFIX) :].strip()
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return "the text after 'age:' is not valid base64"
    if not raw.startswith(AGE_HEADER):
        return "the text after 'age:' is not an age-encrypted file"
    return None


def parse_recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception:  # pyrage raises its own error types
        shown = text if len(text) < 80 else text[:20] + "..."
        raise IskError(f"not an age public key (age1...): {shown}") from None


def encrypt(plaintext: str, recipients: Sequence[str]) -> str:
    """Encrypt to every recipient; returns "age:<base64>"."""
    if not recipients:
        raise IskError(
            "no age recipients: set secrets.recipients in state/settings.yaml or pass --recipient"
        )
    parsed = [parse_recipient(text) for text in recipients]
    ciphertext = pyrage.encrypt(plaintext.encode("utf-8"), parsed)
    return PREFIX + base64.b64encode(ciphertext).decode("ascii")


def parse_identity(text: str, source: str) -> Identity:
    """The one AGE-SECRET-KEY line of `text` (comment lines skipped). Never echoes key material."""
    keys = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if len(keys) != 1:
        raise IskError(
            f"{source}: expected exactly one AGE-SECRET-KEY-1... line, found {len(keys)}"
        )
    try:
        key = pyrage.x25519.Identity.from_str(keys[0])
    except Exception:
        raise IskError(f"{source}: not a valid age identity (AGE-SECRET-KEY-1...)") from None
    return Identity(key=key, public=str(key.to_public()), source=source)


def load_identity(environ: Mapping[str, str] = os.environ) -> Identity:
    """The identity from $ISK_AGE_IDENTITY, else from the file named by $ISK_AGE_IDENTITY_FILE."""
    inline = environ.get(IDENTITY_VARIABLE, "").strip()
    if inline:
        return parse_identity(inline, f"${IDENTITY_VARIABLE}")
    file_name = environ.get(IDENTITY_FILE_VARIABLE, "").strip()
    if file_name:
        source = f"${IDENTITY_FILE_VARIABLE} ({file_name})"
        try:
            text = Path(file_name).expanduser().read_text(encoding="utf-8")
        except OSError as problem:
            raise IskError(f"{source}: cannot read: {problem.strerror}") from None
        except UnicodeDecodeError:
            # Never the decoder's message: it quotes the offending bytes.
            raise IskError(
                f"{source}: not a text file (not UTF-8); expected an age identity file "
                "with one AGE-SECRET-KEY-1... line"
            ) from None
        return parse_identity(text, source)
    raise IskError(
        f"no age identity: set ${IDENTITY_VARIABLE} (AGE-SECRET-KEY-1...) "
        f"or ${IDENTITY_FILE_VARIABLE} (a file holding it) to decrypt passwords"
    )


def generate_identity() -> tuple[str, str]:
    """A new (identity, public key) pair as text."""
    key = pyrage.x25519.Identity.generate()
    return str(key), str(key.to_public())


# Decrypted values, keyed by (identity public key, sha256 of the ciphertext); memory only.
_decrypted: dict[tuple[str, bytes], str] = {}


def decrypt(value: str, identity: Identity) -> str:
    """The plaintext of one stored password (a plaintext value passes through)."""
    if not is_encrypted(value):
        return value
    cache_key = (identity.public, hashlib.sha256(value.encode("ascii", "replace")).digest())
    cached = _decrypted.get(cache_key)
    if cached is not None:
        return cached
    problem = check_ciphertext(value)
    if problem:
        raise IskError(f"cannot decrypt password: {problem}")
    raw = base64.b64decode(value[len(PREFIX) :].strip())
    try:
        plaintext = pyrage.decrypt(raw, [identity.key]).decode("utf-8")
    except Exception:
        raise IskError(
            f"cannot decrypt password with the identity for {identity.public} "
            "(encrypted to another key?)"
        ) from None
    _decrypted[cache_key] = plaintext
    return plaintext


def generate_password(length: int = 12) -> str:
    """A random password from an alphabet without look-alike characters."""
    return "".join(_random.choice(PASSWORD_ALPHABET) for _ in range(length))
