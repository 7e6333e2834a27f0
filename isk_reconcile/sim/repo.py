"""Simulated routers for every router of a state repository (`isk sim serve --repo`, the demo)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from isk_reconcile.errors import IskError
from isk_reconcile.sim.server import SimulatedRouter

DEFAULT_VERSION = "7.16.2"


def _router_port(name: str, settings: dict[str, Any]) -> int:
    port = settings.get("port")
    if port is None:
        return 8729 if settings.get("tls") else 8728
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise IskError(f"state/routers.yaml: {name}: port must be a number from 1 to 65535")
    return port


def _router_user(
    name: str, settings: dict[str, Any], users_from_env: bool
) -> dict[str, str | None]:
    username = settings.get("username")
    if not isinstance(username, str) or not username:
        raise IskError(f"state/routers.yaml: {name}: username is missing")
    if not users_from_env:
        return {username: None}  # any password: for callers that do not manage credentials
    variable = settings.get("password_env")
    if not isinstance(variable, str) or not variable:
        raise IskError(f"state/routers.yaml: {name}: password_env is missing")
    password = os.environ.get(variable)
    if password is None:
        raise IskError(f"{name}: environment variable {variable} is not set (the API password)")
    return {username: password}


def read_routers(repo_path: Path) -> dict[str, dict[str, Any]]:
    """state/routers.yaml as plain data (only what the simulator needs is checked)."""
    path = Path(repo_path) / "state" / "routers.yaml"
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.safe_load(stream)
    except OSError as problem:
        raise IskError(f"cannot read {path}: {problem.strerror}") from None
    except yaml.YAMLError as problem:
        raise IskError(f"{path}: not valid YAML: {problem}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise IskError(f"{path}: expected a mapping from router name to its settings")
    routers: dict[str, dict[str, Any]] = {}
    for name, settings in document.items():
        if not isinstance(settings, dict):
            raise IskError(f"{path}: {name}: expected a mapping of settings")
        routers[str(name)] = settings
    return routers


def serve_repo(
    repo_path: Path | str,
    users_from_env: bool = True,
    version: str = DEFAULT_VERSION,
    latency_ms: float = 0,
) -> list[SimulatedRouter]:
    """Start one simulator per router of the repo, on 127.0.0.1 at the router's port.

    The router's `host` is ignored on purpose: a simulator never binds to, nor is
    reached at, anything but loopback. TLS routers are served in plain text on
    their port (the simulator has no certificate). All start, or none stays running.
    """
    routers = read_routers(Path(repo_path))
    plans: list[tuple[str, int, dict[str, str | None]]] = []
    used_ports: dict[int, str] = {}
    for name, settings in routers.items():
        port = _router_port(name, settings)
        if port in used_ports:
            raise IskError(
                f"{name} and {used_ports[port]} both use port {port}: "
                "simulated routers share 127.0.0.1, give each its own port"
            )
        used_ports[port] = name
        # The identity isk expects of it (routers.yaml `identity:`, default the name).
        identity = settings.get("identity")
        identity = identity if isinstance(identity, str) and identity else name
        plans.append((identity, port, _router_user(name, settings, users_from_env)))
    started: list[SimulatedRouter] = []
    try:
        for identity, port, users in plans:
            simulator = SimulatedRouter(
                identity=identity, users=users, version=version, port=port, latency_ms=latency_ms
            )
            started.append(simulator.start())
    except BaseException:
        for simulator in started:
            simulator.stop()
        raise
    return started
