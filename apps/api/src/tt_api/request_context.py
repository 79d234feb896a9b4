"""Request ids and access logs: every response and every log line carries the id."""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tt_api.logs import request_id_var

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is kept only if it is short and plain, so it is safe in logs.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = logging.getLogger("tt_api.access")


async def with_request_context(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app`` for one HTTP request with a request id set, echoed and logged.

    This wraps the whole Litestar app (see ``tt_api.app.PaymentsApp``): Litestar applies
    middleware per route, so only the outermost layer sees 404s, 405s and failures raised
    by authentication, and every response must carry the id.
    """
    offered = _header(scope, REQUEST_ID_HEADER)
    request_id = offered if offered and _ACCEPTABLE_ID.match(offered) else str(uuid.uuid4())
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    status = 500

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [
                *message.get("headers", []),
                (REQUEST_ID_HEADER.encode(), request_id.encode()),
            ]
            message = {**message, "headers": headers}  # type: ignore[typeddict-item]
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        _log.info(
            "request",
            extra={
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "durationMs": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        request_id_var.reset(token)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None
