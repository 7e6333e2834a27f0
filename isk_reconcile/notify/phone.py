"""Phone numbers as WhatsApp and SMS gateways want them: see state/phone.py, where
`isk validate` checks them too (one normalisation for both)."""

from __future__ import annotations

from isk_reconcile.state.phone import normalize_phone

__all__ = ["normalize_phone"]
