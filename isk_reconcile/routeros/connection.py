"""Opening an API session to a router: TCP or TLS, the login, one deadline for both.

The password comes from the router's environment variable only, and an age identity
found there is never sent (docs/security.md).
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping

from librouteros.connections import SocketTransport
from librouteros.exceptions import LibRouterosError, TrapError
from librouteros.login import encode_password

from isk_reconcile.errors import RouterError
from isk_reconcile.routeros.client import DEFAULT_WINDOW, RouterClient
from isk_reconcile.routeros.protocol import (
    ENCODING,
    BufferedTransport,
    RawApi,
    RawProtocol,
    failure_reason,
)
from isk_reconcile.state.routers import Router


def _login(api: RawApi, username: str, password: str) -> None:
    """Plain login (RouterOS >= 6.43); falls back to the challenge flow when asked for it."""
    rows = list(api.rawCmd("/login", f"=name={username}", f"=password={password}"))
    challenge = rows[0].get("ret") if rows else None
    if challenge:  # pre-6.43 router: answer the MD5 challenge instead
        response = encode_password(challenge, password)
        list(api.rawCmd("/login", f"=name={username}", f"=response={response}"))


# --- connecting ---------------------------------------------------------------------------


def tls_context(router: Router) -> ssl.SSLContext:
    """Verify the router's certificate against `tls_ca` (or the system CAs) and its host
    name; `tls_verify: false` turns verification off, only by that explicit choice."""
    if not router.tls_verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if router.tls_ca is not None and not os.path.isfile(router.tls_ca):
        raise RouterError(router.name, f"TLS CA bundle not found: {router.tls_ca}")
    try:
        return ssl.create_default_context(cafile=router.tls_ca)
    except ssl.SSLError as problem:
        raise RouterError(
            router.name, f"TLS CA bundle {router.tls_ca} unusable: {problem.reason}"
        ) from None


def connect(
    router: Router,
    environ: Mapping[str, str] = os.environ,
    *,
    timeout: float | None = None,
    window: int = DEFAULT_WINDOW,
) -> RouterClient:
    """Open an API session to `router`, password from its environment variable."""
    variable = router.password_variable
    password = environ.get(variable)
    if password is None:
        raise RouterError(router.name, f"API password not set: export {variable}")
    if is_age_identity(password):
        # Never sent anywhere, whatever routers.yaml says (docs/security.md).
        raise RouterError(
            router.name, f"{variable} holds an age identity, not an API password: not sent"
        )
    seconds = router.timeout if timeout is None else timeout
    deadline = time.monotonic() + seconds
    host = f"[{router.host}]" if ":" in router.host else router.host
    where = f"{host}:{router.api_port}"
    plain = _open(router, where, seconds)
    transport = BufferedTransport(plain.sock)
    # Connecting and logging in share one budget: what connect() left of it.
    transport.start("connecting and logging in", seconds, deadline - time.monotonic())
    api = RawApi(RawProtocol(transport, ENCODING))
    _log_in(api, transport, router, password, where, seconds)
    return RouterClient(router, api, window=window, read_seconds=seconds)


def _open(router: Router, where: str, seconds: float) -> SocketTransport:
    """The TCP (and TLS) connection, every failure said as one line naming `where`."""
    wrapper = None
    if router.tls:
        wrapper = functools.partial(tls_context(router).wrap_socket, server_hostname=router.host)
    try:
        return _open_transport(router.host, router.api_port, seconds, wrapper)
    except ssl.SSLCertVerificationError as problem:
        raise RouterError(
            router.name, f"TLS certificate of {where} not trusted: {problem.verify_message}"
        ) from None
    except (ssl.SSLError, _HandshakeFailed) as problem:
        reason = getattr(problem, "reason", None) or str(problem)
        raise RouterError(
            router.name,
            f"TLS handshake with {where} failed: {reason} (is it the api-ssl port? "
            "the plain API port does not answer TLS)",
        ) from None
    except TimeoutError:
        raise RouterError(
            router.name, f"cannot connect to {where}: timed out after {seconds:g}s"
        ) from None
    except ConnectionRefusedError:
        raise RouterError(router.name, f"cannot connect to {where}: connection refused") from None
    except OSError as problem:
        reason = problem.strerror or str(problem)
        raise RouterError(router.name, f"cannot connect to {where}: {reason}") from None


def _log_in(
    api: RawApi,
    transport: BufferedTransport,
    router: Router,
    password: str,
    where: str,
    seconds: float,
) -> None:
    """Log in; on any failure the connection is closed and the reason said in one line."""
    try:
        _login(api, router.username, password)
    except TrapError as trap:
        transport.close()
        raise RouterError(
            router.name, f"login to {where} as {router.username!r} failed: {trap.message}"
        ) from None
    except TimeoutError:
        transport.close()
        raise RouterError(
            router.name, f"login to {where} timed out: no answer within {seconds:g}s"
        ) from None
    except (LibRouterosError, OSError) as problem:
        transport.close()
        raise RouterError(
            router.name, f"login to {where} failed: {failure_reason(problem)}"
        ) from None
    except UnicodeEncodeError:
        transport.close()
        raise RouterError(router.name, "login failed: user name or password is not text") from None


def _open_transport(
    host: str,
    port: int,
    seconds: float,
    wrapper: Callable[[socket.socket], socket.socket] | None,
) -> SocketTransport:
    """TCP (and TLS) connection; the raw socket is closed when the TLS wrap fails
    (librouteros' create_transport leaks it)."""
    sock = socket.create_connection((host, port), timeout=seconds)
    if wrapper is not None:
        try:
            sock = wrapper(sock)
        except (TimeoutError, ConnectionError) as problem:
            # Connected, but no TLS came back: a plain port waits for an API sentence
            # (timed out) or drops the connection.
            sock.close()
            reason = "no answer" if isinstance(problem, TimeoutError) else "connection closed"
            raise _HandshakeFailed(reason) from None
        except BaseException:
            sock.close()
            raise
    return SocketTransport(sock=sock)


class _HandshakeFailed(Exception):
    """The TCP connection was made but the TLS handshake got no TLS answer."""


def is_age_identity(value: str) -> bool:
    """Whether `value` is (or starts like) an age private key."""
    return value.strip().upper().startswith("AGE-SECRET-KEY-")
