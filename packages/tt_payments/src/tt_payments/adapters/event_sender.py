"""``EventSender`` on httpx: POST an event to a subscriber, with a timeout, and say what
happened without raising (a status, or why there was none).

httpx is imported on the first delivery, not when the service is built: every command
that bootstraps the container would otherwise pay for it (about 50 ms), and only the
dispatcher beside the relay ever sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from tt_payments.subscribers.records import SendResult

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpEventSender"]

_BODY_IN_ERROR = 300


class HttpEventSender:
    def __init__(
        self, *, timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._timeout_seconds = timeout_seconds
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx  # noqa: PLC0415 - on the first delivery, see the module docstring

            # No redirects: a subscriber that moved must be updated, not followed blindly.
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout_seconds),
                follow_redirects=False,
                transport=self._transport,
            )
        return self._client

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        import httpx  # noqa: PLC0415 - loaded by _http already; names its errors

        try:
            response = await self._http().post(url, content=body, headers=dict(headers))
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
        if self._client is not None:
            await self._client.aclose()
            self._client = None
