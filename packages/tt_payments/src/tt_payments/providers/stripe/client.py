"""One way to talk to Stripe: the SDK client on httpx, and Stripe's errors as ours.

Both Stripe adapters (payments, Connect payouts) build on ``StripeConnection``: a
connection error, a rate limit or a 5xx is ``ProviderUnavailableError`` (the outcome is
unknown: retry under the same idempotency key); anything else Stripe refuses is
``ProviderRejectedError`` (nothing happened).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import stripe

from tt_money.errors import TicketTokenError
from tt_payments.providers.types import ProviderRejectedError, ProviderUnavailableError

_T = TypeVar("_T")


class StripeConnection:
    """The SDK client and its connection pool; ``aclose()`` releases the pool."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout: float = 30.0,
        max_network_retries: int = 2,
    ) -> None:
        self._http_client = stripe.HTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base or stripe.DEFAULT_API_BASE},
            http_client=self._http_client,
            max_network_retries=max_network_retries,
        )

    async def aclose(self) -> None:
        await self._http_client.close_async()  # type: ignore[no-untyped-call]  # SDK: unannotated


async def calling_stripe(call: Awaitable[_T], *, what: str = "request") -> _T:
    """Await a Stripe call, translating its errors (``what`` names it in the message)."""
    try:
        return await call
    except stripe.StripeError as err:
        raise translated(err, what=what) from err


def translated(
    err: stripe.StripeError, *, what: str = "request", note: str = ""
) -> TicketTokenError:
    detail = f"{type(err).__name__}: {err.user_message or 'no message'}"
    if isinstance(err, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        return ProviderUnavailableError(f"Stripe did not complete the {what} ({detail})")
    suffix = f"; {note}" if note else ""
    return ProviderRejectedError(f"Stripe refused the {what} ({detail}, code {err.code}){suffix}")
