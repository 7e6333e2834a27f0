"""How one field change reads in the text and Markdown plans."""

from __future__ import annotations

from isk_reconcile.render.plan_text import field_text


def test_field_changes_read_from_old_to_new() -> None:
    assert field_text("profile", "home-10m", "isolir") == "profile: home-10m -> isolir"
    assert field_text("remote-address", "10.20.0.9", None) == "remote-address: 10.20.0.9 -> (unset)"
    assert field_text("rate-limit", None, "10M/10M") == "rate-limit: 10M/10M"


def test_password_changes_show_no_value() -> None:
    assert field_text("password", "(hidden)", "(changed)") == "password: (changed)"
    assert field_text("password", None, "(set)") == "password: (set)"
