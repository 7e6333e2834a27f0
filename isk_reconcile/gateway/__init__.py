"""Online payments through payment gateways (issue 16; docs/payments.md): payment links,
the webhook receiver behind `isk serve`, and reconciliation against the gateway.

`base` is the interface every gateway module implements (`midtrans`, `xendit`);
`ledger` maps a transaction to ledger entries; `receiver` verifies callbacks and records
them through `state.writer` and `gitops.publish`; `app` is the ASGI app.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from isk_reconcile.errors import IskError
from isk_reconcile.gateway.base import Gateway
from isk_reconcile.state.settings import Settings

NAMES = ("midtrans", "xendit")


def gateway_named(
    name: str, settings: Settings, environ: Mapping[str, str] = os.environ
) -> Gateway:
    """The gateway `name`, configured from settings (URLs) and the environment (keys)."""
    if name == "midtrans":
        from isk_reconcile.gateway.midtrans import Midtrans

        return Midtrans(settings.payments.midtrans, environ)
    if name == "xendit":
        from isk_reconcile.gateway.xendit import Xendit

        return Xendit(settings.payments.xendit, environ, settings.timezone)
    raise IskError(f"unknown gateway {name!r}: choose one of {', '.join(NAMES)}")


def configured_gateways(
    settings: Settings, environ: Mapping[str, str] = os.environ
) -> dict[str, Gateway]:
    """Every gateway whose key is in the environment (what `isk serve` accepts callbacks for)."""
    from isk_reconcile.gateway.midtrans import KEY_VARIABLE as MIDTRANS_KEY
    from isk_reconcile.gateway.xendit import KEY_VARIABLE as XENDIT_KEY

    found: dict[str, Gateway] = {}
    for name, variable in (("midtrans", MIDTRANS_KEY), ("xendit", XENDIT_KEY)):
        if environ.get(variable):
            found[name] = gateway_named(name, settings, environ)
    return found
