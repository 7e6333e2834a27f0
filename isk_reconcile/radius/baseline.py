"""The RouterOS settings a RADIUS router needs, and the commands that fix them. Pure.

- a `/radius` entry for the `ppp` service pointing at each RADIUS server
  (settings.radius.servers; any ppp entry when none are listed), enabled, with the
  shared secret of $<radius_secret_env>;
- `/ppp aaa use-radius=yes accounting=yes` with an interim update (open sessions in
  radacct stay current, and a dead session ages out);
- `/radius incoming accept=yes` on the router's coa_port, so Disconnect-Requests land.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from isk_reconcile.routeros.types import RadiusConfig
from isk_reconcile.state.routers import Router

INTERIM = "5m"
_TRUE = ("true", "yes")
_NO_INTERVAL = ("", "0s", "0", "none", "00:00:00")


@dataclass(frozen=True)
class Finding:
    problem: str
    fix: str  # the RouterOS command that fixes it (secrets as a placeholder)


def check_baseline(
    router: Router, servers: tuple[str, ...], config: RadiusConfig, secret: str | None
) -> list[Finding]:
    """What is missing on `router` for the RADIUS backend (empty: all in place)."""
    findings = _server_findings(router, servers, config, secret)
    findings += _aaa_findings(config.aaa)
    incoming = config.incoming
    port = str(router.coa_port)
    if incoming.get("accept") not in _TRUE or incoming.get("port", "3799") != port:
        findings.append(
            Finding(
                f"/radius incoming: accept={incoming.get('accept', '?')} "
                f"port={incoming.get('port', '?')} (Disconnect-Requests are refused)",
                f"/radius incoming set accept=yes port={port}",
            )
        )
    return findings


def _ppp(entry: Mapping[str, str]) -> bool:
    return "ppp" in entry.get("service", "").split(",") and entry.get("disabled") not in _TRUE


def _server_findings(
    router: Router, servers: tuple[str, ...], config: RadiusConfig, secret: str | None
) -> list[Finding]:
    placeholder = f"<value of ${router.radius_secret_variable}>"
    ppp = [entry for entry in config.servers if _ppp(entry)]
    wanted = servers or (() if ppp else ("<radius server address>",))
    findings: list[Finding] = []
    for address in wanted:
        entry = next((item for item in ppp if item.get("address") == address), None)
        if entry is None:
            findings.append(
                Finding(
                    f"/radius: no enabled entry for service ppp at {address}",
                    f'/radius add service=ppp address={address} secret="{placeholder}" timeout=3s',
                )
            )
            continue
        if secret is not None and not hmac.compare_digest(
            entry.get("secret", "").encode(), secret.encode()
        ):
            findings.append(
                Finding(
                    f"/radius: the secret for {address} differs from "
                    f"${router.radius_secret_variable}",
                    f'/radius set [find address={address} service~"ppp"] secret="{placeholder}"',
                )
            )
    return findings


def _aaa_findings(aaa: Mapping[str, str]) -> list[Finding]:
    wrong = []
    if aaa.get("use-radius") not in _TRUE:
        wrong.append(f"use-radius={aaa.get('use-radius', '?')}")
    if aaa.get("accounting") not in _TRUE:
        wrong.append(f"accounting={aaa.get('accounting', '?')}")
    if aaa.get("interim-update", "") in _NO_INTERVAL:
        wrong.append(f"interim-update={aaa.get('interim-update') or 'none'}")
    if not wrong:
        return []
    return [
        Finding(
            f"/ppp aaa: {' '.join(wrong)}",
            f"/ppp aaa set use-radius=yes accounting=yes interim-update={INTERIM}",
        )
    ]
