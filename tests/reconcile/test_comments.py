"""The router-comment protocol (reconcile.comments): ownership, ASCII folding."""

from __future__ import annotations

from isk_reconcile.reconcile.comments import (
    ascii_fold,
    comment_text,
    customer_of_comment,
    is_passthrough_key,
    profile_comment,
)


def test_ascii_fold_drops_accents_and_marks_the_rest() -> None:
    assert ascii_fold("José Ramírez") == "Jose Ramirez"
    assert ascii_fold("Zoë Hartono 李") == "Zoe Hartono ?"
    assert ascii_fold("Budi") == "Budi"


def test_customer_of_comment_reads_the_ownership_marker() -> None:
    assert customer_of_comment("isk:", "isk:budi Budi Santoso") == "budi"
    # Only ever asked of /ppp/secret comments (the menu tells a profile from a secret):
    # a customer whose id starts with "profile" is a customer (it used to read as None).
    assert customer_of_comment("isk:", "isk:profile Paket") == "profile"
    assert customer_of_comment("isk:", "isk:profilenet-bts BTS") == "profilenet-bts"
    assert customer_of_comment("isk:", "added by hand") is None
    assert customer_of_comment("isk:", "isk:budi Budi Santoso  (RT 02)") == "budi"
    # the marker is "<prefix><id> ": a tab is not the separator isk writes
    assert customer_of_comment("isk:", "isk:budi\tBudi") != "budi"


def test_passthrough_keys_are_routeros_property_names() -> None:
    assert is_passthrough_key("insert-queue-before")
    assert is_passthrough_key("idle-timeout")
    for key in ("Idle-Timeout", "-x", "idle timeout", "", "comment;x"):
        assert not is_passthrough_key(key)


def test_a_profile_comment_ends_with_the_passthrough_keys_isk_wrote() -> None:
    assert profile_comment("isk:", "Paket", ("idle-timeout", "insert-queue-before")) == (
        "isk:profile Paket [routeros: idle-timeout,insert-queue-before]"
    )
    assert profile_comment("isk:", "Paket") == "isk:profile Paket"


def test_brackets_typed_into_a_name_never_look_like_a_mark() -> None:
    assert comment_text("Paket [Promo] 10M") == "Paket (Promo) 10M"
    assert comment_text("Zoë [RT 02]") == "Zoe (RT 02)"


def test_the_first_non_ascii_code_point_is_folded_too() -> None:
    assert ascii_fold("Zoë\x80") == "Zoe?"
