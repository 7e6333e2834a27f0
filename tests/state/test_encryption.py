"""age-encrypted passwords: identities, encryption, decryption, nothing leaked."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from isk_reconcile.errors import IskError
from isk_reconcile.state import encryption


@pytest.fixture
def keypair() -> tuple[str, str]:
    return encryption.generate_identity()


def test_round_trip(keypair: tuple[str, str]) -> None:
    identity_text, public = keypair
    value = encryption.encrypt("rahasia-123", [public])
    assert value.startswith("age:") and "rahasia" not in value
    assert encryption.check_ciphertext(value) is None
    identity = encryption.load_identity({"ISK_AGE_IDENTITY": identity_text})
    assert encryption.decrypt(value, identity) == "rahasia-123"


def test_encrypt_to_several_recipients() -> None:
    (first, first_public), (second, second_public) = (
        encryption.generate_identity(),
        encryption.generate_identity(),
    )
    value = encryption.encrypt("shared", [first_public, second_public])
    for key in (first, second):
        assert encryption.decrypt(value, encryption.parse_identity(key, "test")) == "shared"


def test_encrypt_needs_recipients_and_valid_keys() -> None:
    with pytest.raises(IskError, match="no age recipients"):
        encryption.encrypt("x", [])
    with pytest.raises(IskError, match="not an age public key"):
        encryption.encrypt("x", ["age1nope"])


def test_identity_file_skips_comments(tmp_path: Path, keypair: tuple[str, str]) -> None:
    identity_text, public = keypair
    path = tmp_path / "key.txt"
    path.write_text(f"# created: today\n# public key: {public}\n\n{identity_text}\n")
    identity = encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(path)})
    assert identity.public == public
    assert identity_text not in repr(identity)


def test_inline_identity_wins_over_file(keypair: tuple[str, str]) -> None:
    identity_text, public = keypair
    environ = {"ISK_AGE_IDENTITY": identity_text, "ISK_AGE_IDENTITY_FILE": "/nonexistent"}
    assert encryption.load_identity(environ).public == public


def test_identity_problems_never_echo_key_material(tmp_path: Path) -> None:
    with pytest.raises(IskError, match="no age identity"):
        encryption.load_identity({})
    with pytest.raises(IskError, match="cannot read"):
        encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(tmp_path / "missing")})
    bogus = "AGE-SECRET-KEY-1NOTAREALKEYBUTLOOKSSECRET"
    with pytest.raises(IskError) as failed:
        encryption.load_identity({"ISK_AGE_IDENTITY": bogus})
    assert "not a valid age identity" in str(failed.value) and bogus not in str(failed.value)
    two = tmp_path / "two.txt"
    two.write_text(f"{bogus}\n{bogus}\n")
    with pytest.raises(IskError, match="exactly one") as failed:
        encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(two)})
    assert bogus not in str(failed.value)


def test_identity_file_that_is_not_text_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "key.bin"
    path.write_bytes(b"AGE-SECRET-KEY-1SECRETBYTES\xc3\x28\xff\n")
    with pytest.raises(IskError) as failed:
        encryption.load_identity({"ISK_AGE_IDENTITY_FILE": str(path)})
    message = str(failed.value)
    assert message.startswith(f"$ISK_AGE_IDENTITY_FILE ({path}): not a text file (not UTF-8)")
    assert "\n" not in message
    assert "SECRETBYTES" not in message and "0xc3" not in message and "0xff" not in message


def test_wrong_identity_is_a_clear_error(keypair: tuple[str, str]) -> None:
    value = encryption.encrypt("pw", [keypair[1]])
    other = encryption.parse_identity(encryption.generate_identity()[0], "other")
    with pytest.raises(IskError, match="encrypted to another key"):
        encryption.decrypt(value, other)


def test_malformed_ciphertexts() -> None:
    assert "base64" in (encryption.check_ciphertext("age:***") or "")
    not_age = "age:" + base64.b64encode(b"hello world").decode()
    assert "not an age-encrypted file" in (encryption.check_ciphertext(not_age) or "")
    identity = encryption.parse_identity(encryption.generate_identity()[0], "test")
    with pytest.raises(IskError, match="cannot decrypt password"):
        encryption.decrypt(not_age, identity)


def test_plaintext_passes_through(keypair: tuple[str, str]) -> None:
    identity = encryption.parse_identity(keypair[0], "test")
    assert encryption.decrypt("plain-pw", identity) == "plain-pw"


def test_generated_passwords() -> None:
    passwords = {encryption.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 12 for p in passwords)
    assert not set("".join(passwords)) & set("0O1lI")
    assert len(encryption.generate_password(20)) == 20
