"""JSON over HTTPS to a gateway with the standard library, under a total deadline.

urllib's `timeout` bounds each socket operation, not the whole request (a server that
trickles bytes, or a slow name lookup, could hold it forever), so the request runs in a
daemon thread and the caller waits at most `deadline` seconds for it.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from typing import Any

from isk_reconcile.gateway.base import GatewayError

MAX_BODY = 1 << 20  # a gateway answer is a few kB; refuse to buffer more than this


def basic_auth(username: str) -> str:
    """Both gateways take the key as the basic-auth user name with an empty password."""
    return "Basic " + base64.b64encode(f"{username}:".encode()).decode("ascii")


def request_json(
    method: str,
    url: str,
    *,
    authorization: str,
    body: Any = None,
    deadline: float = 20.0,
    gateway: str = "gateway",
) -> tuple[int, Any]:
    """(HTTP status, decoded JSON) of one request; GatewayError when it fails or is late.

    Error messages name the gateway and the status, never the key or the request headers.
    """
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    request.add_header("Authorization", authorization)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = _send(request, deadline)
        except BaseException as problem:  # handed to the waiting caller
            outcome["error"] = problem

    worker = threading.Thread(target=run, name=f"{gateway}-http", daemon=True)
    worker.start()
    worker.join(deadline)
    silent = GatewayError(f"{gateway}: no answer within {deadline:g}s ({method} {_path(url)})")
    if worker.is_alive():
        raise silent
    if "error" in outcome:
        problem = outcome["error"]
        if isinstance(problem, GatewayError):
            raise problem
        # The socket's own timeout can fire just before the join gives up: the same
        # silence, so the same message, whichever clock noticed it first.
        if _timed_out(problem):
            raise silent from None
        raise GatewayError(f"{gateway}: {method} {_path(url)} failed: {_reason(problem)}")
    return outcome["value"]


def _send(request: urllib.request.Request, deadline: float) -> tuple[int, Any]:
    # Proxies from the environment are not consulted: a key goes straight to the gateway.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=deadline) as response:
            status, raw = response.status, response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as answer:
        status, raw = answer.code, answer.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise GatewayError(f"answer to {_path(request.full_url)} is larger than {MAX_BODY} bytes")
    try:
        return status, json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise GatewayError(
            f"answer to {_path(request.full_url)} (HTTP {status}) is not JSON"
        ) from None


def _timed_out(problem: BaseException) -> bool:
    reason = problem.reason if isinstance(problem, urllib.error.URLError) else problem
    return isinstance(reason, TimeoutError)


def _path(url: str) -> str:
    return urllib.request.urlparse(url).path[:120]


def _reason(problem: BaseException) -> str:
    if isinstance(problem, urllib.error.URLError):
        return str(problem.reason)[:200]
    return type(problem).__name__ + (f": {str(problem)[:200]}" if str(problem) else "")


def gateway_message(payload: Any) -> str:
    """A short, printable reason from a gateway's error answer."""
    if isinstance(payload, dict):
        for key in ("error_messages", "status_message", "message", "error_code"):
            value = payload.get(key)
            if value:
                text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
                return text.replace("\n", " ")[:300]
    return "no reason given"
