"""`isk sim serve`: run simulated RouterOS routers on loopback (SPEC §8)."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click
import yaml

from isk_reconcile.cli.context import Context, pass_context
from isk_reconcile.cli.root import main
from isk_reconcile.errors import IskError
from isk_reconcile.sim import SimulatedRouter, serve_repo

DEFAULT_VERSION = "7.16.2"
HIDDEN = "(hidden)"


@main.group("sim")
def sim_group() -> None:
    """RouterOS API simulator for tests and the demo (loopback only)."""


def parse_user(text: str) -> tuple[str, str]:
    name, separator, password = text.partition(":")
    if not separator or not name:
        raise click.BadParameter(f"expected NAME:PASSWORD, got {name or '(empty)'}:...")
    return name, password


def read_snapshot(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as problem:
        raise IskError(f"cannot read {path}: {problem.strerror}") from None
    except (ValueError, yaml.YAMLError) as problem:
        raise IskError(f"{path}: not a valid snapshot: {problem}") from None
    if not isinstance(document, dict):
        raise IskError(f"{path}: a snapshot is a mapping with identity, version and menus")
    return document


def without_passwords(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A dump fit to write to disk: PPPoE passwords never leave the process in plain text."""
    for items in snapshot.get("menus", {}).values():
        for item in items:
            if "password" in item:
                item["password"] = HIDDEN
    return snapshot


def _repo_requested(ctx: click.Context, repo: Path | None, obj: Context) -> Path | None:
    """`sim serve --repo DIR`, or `isk --repo DIR sim serve` (not merely $ISK_REPO)."""
    if repo is not None:
        return repo
    root = ctx.find_root()
    if root.get_parameter_source("repo") == click.core.ParameterSource.COMMANDLINE:
        return obj.repo
    return None


def listening_line(router: SimulatedRouter) -> str:
    """`core-kudus listening on 127.0.0.1:18728 (RouterOS 7.16.2)`: scripts parse this line."""
    where = f"[{router.host}]" if ":" in router.host else router.host
    return f"{router.identity} listening on {where}:{router.port} (RouterOS {router.version})"


@contextmanager
def stop_signal() -> Iterator[threading.Event]:
    """An event set by SIGTERM (Ctrl-C raises KeyboardInterrupt as usual).

    Installed before any router starts listening: a supervisor that reads the
    "listening on" line and sends SIGTERM at once must get a clean stop, not a kill.
    """
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_until(stop: threading.Event) -> None:
    with suppress(KeyboardInterrupt):
        while not stop.wait(0.5):
            pass


@sim_group.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8728,
    show_default=True,
    help="Port for a single router (0: any free port).",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:PASSWORD",
    help="API user (repeatable). Default: admin with an empty password.",
)
@click.option("--identity", default="MikroTik", show_default=True, help="/system/identity name.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Seed from a snapshot (JSON or YAML, the shape of a dump).",
)
@click.option(
    "--version",
    "routeros_version",
    default=DEFAULT_VERSION,
    show_default=True,
    help="RouterOS version to report; 7.18 and later answer empty prints with !empty.",
)
@click.option(
    "--latency-ms",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Delay added to every reply (a WAN round trip).",
)
@click.option(
    "--host",
    type=click.Choice(["127.0.0.1", "::1"]),
    default="127.0.0.1",
    show_default=True,
    help="Loopback address to listen on.",
)
@click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="Serve every router of this repo, on the ports routers.yaml names.",
)
@click.option(
    "--any-password",
    is_flag=True,
    help="With --repo: accept any password instead of reading password_env.",
)
@click.option(
    "--dump",
    "dump_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="On exit, write the routers' final state here as JSON (passwords hidden).",
)
@click.pass_context
@pass_context
def serve(
    obj: Context,
    ctx: click.Context,
    port: int,
    users: tuple[str, ...],
    identity: str,
    state_file: Path | None,
    routeros_version: str,
    latency_ms: float,
    host: str,
    repo: Path | None,
    any_password: bool,
    dump_file: Path | None,
) -> None:
    """Run simulated routers in the foreground until Ctrl-C or SIGTERM.

    \b
    One router:   isk sim serve --port 18728 --user isk-api:s3cret --identity core-kudus
    A repo's:     isk sim serve --repo .   (passwords from each router's password_env)
    """
    if obj.verbose:
        # Connections and every command with its attribute names (never values: docs).
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        logging.getLogger("isk_reconcile.sim").setLevel(logging.DEBUG)
    with stop_signal() as stop:
        repo_dir = _repo_requested(ctx, repo, obj)
        if repo_dir is not None:
            if state_file is not None or users:
                raise IskError("--state and --user apply to a single router, not with --repo")
            routers = serve_repo(
                repo_dir,
                users_from_env=not any_password,
                version=routeros_version,
                latency_ms=latency_ms,
            )
            if not routers:
                raise IskError(f"{repo_dir}/state/routers.yaml names no routers")
        else:
            router = SimulatedRouter(
                identity=identity,
                users=dict(parse_user(text) for text in users) if users else {"admin": ""},
                version=routeros_version,
                host=host,
                port=port,
                latency_ms=latency_ms,
            )
            if state_file is not None:
                _load_snapshot(ctx, router, state_file, identity, routeros_version)
            routers = [router.start()]
        try:
            for router in routers:
                click.echo(listening_line(router))
            _wait_until(stop)
        finally:
            for router in routers:
                router.stop()
    if dump_file is not None:
        _dump(routers, dump_file, several=repo_dir is not None)


def _load_snapshot(
    ctx: click.Context, router: SimulatedRouter, state_file: Path, identity: str, version: str
) -> None:
    snapshot = read_snapshot(state_file)
    router.load(snapshot)
    # Options given on the command line win over the snapshot's values.
    explicit = click.core.ParameterSource.COMMANDLINE
    if "identity" not in snapshot or ctx.get_parameter_source("identity") == explicit:
        router.state.identity = identity
    if ctx.get_parameter_source("routeros_version") == explicit:
        router.state.version = version


def _dump(routers: list[SimulatedRouter], dump_file: Path, *, several: bool) -> None:
    # One router: a snapshot `--state` can load again; several: keyed by router name.
    dumps = {router.identity: without_passwords(router.dump()) for router in routers}
    document = dumps if several else next(iter(dumps.values()))
    dump_file.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    click.echo(f"state written to {dump_file}", err=True)
