"""The ASGI app `isk serve` runs under uvicorn: `POST /webhooks/<gateway>`, `GET /healthz`.

The blocking work (status API, git) runs in Starlette's thread pool; the receiver
serialises writes itself.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from isk_reconcile.gateway.receiver import Receiver

MAX_CALLBACK_BYTES = 64 * 1024  # a gateway callback is a few kB


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than any callback could be."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CALLBACK_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def make_app(receiver: Receiver) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        name = str(request.path_params["gateway"])
        body = await _body(request)
        if body is None:
            answer: dict[str, Any] = {"status": "refused", "reason": "body too large"}
            receiver.log({"event": "callback", "gateway": name[:40], **answer, "http_status": 413})
            return JSONResponse(answer, status_code=413)
        headers = {key.lower(): value for key, value in request.headers.items()}
        status, answer = await run_in_threadpool(receiver.handle, name, headers, body)
        return JSONResponse(answer, status_code=status)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "gateways": sorted(receiver.gateways)})

    return Starlette(
        routes=[
            Route("/webhooks/{gateway}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
