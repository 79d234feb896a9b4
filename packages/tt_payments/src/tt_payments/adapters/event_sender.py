"""``EventSender`` on httpx: POST an event to a subscriber, with a timeout, and say what
happened without raising (a status, or why there was none)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tt_payments.subscribers.records import SendResult

__all__ = ["HttpEventSender"]

_BODY_IN_ERROR = 300


class HttpEventSender:
    def __init__(
        self, *, timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        # No redirects: a subscriber that moved must be updated, not followed blindly.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds), follow_redirects=False, transport=transport
        )

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except httpx.TimeoutException as error:
            return SendResult(status=None, error=f"timed out: {type(error).__name__}")
        except httpx.HTTPError as error:
            return SendResult(status=None, error=f"{type(error).__name__}: {error}")
        if 200 <= response.status_code < 300:
            return SendResult(status=response.status_code)
        return SendResult(
            status=response.status_code,
            error=f"answered {response.status_code}: {response.text[:_BODY_IN_ERROR]}",
        )

    async def aclose(self) -> None:
        await self._client.aclose()
