"""Ports of the providers context: the card processor and the payout provider, as every
context that pays or is paid sees them (simulated, Stripe, ...)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from tt_payments.providers.payouts import PayoutRequest, PayoutResult
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ListedCharge,
    ListedRefund,
    Refund,
    RefundRequest,
)


class PaymentProvider(Protocol):
    """A card processor. Every method is idempotent under the request's idempotency key.

    ``charge`` creates and confirms a payment in one call. A decline is a ``Charge`` with
    status DECLINED (not an exception); ``ProviderUnavailableError`` means the outcome is
    unknown; ``ProviderRejectedError`` means the request itself was refused.
    """

    name: str

    async def charge(self, request: ChargeRequest) -> Charge:
        """Create and confirm a payment; the same idempotency key returns the same charge."""
        ...

    async def retrieve(self, provider_payment_id: str) -> Charge:
        """The payment's current state at the processor."""
        ...

    async def refund(self, request: RefundRequest) -> Refund:
        """Refund part or all of a succeeded payment; idempotent under the request's key."""
        ...

    async def retrieve_refund(self, provider_refund_id: str) -> Refund:
        """The refund's current state at the processor."""
        ...

    async def list_charges(self, since: dt.datetime, until: dt.datetime) -> list[ListedCharge]:
        """Payments created in ``[since, until)``, as they stand now (reconciliation)."""
        ...

    async def list_refunds(self, since: dt.datetime, until: dt.datetime) -> list[ListedRefund]:
        """Refunds created in ``[since, until)``, as they stand now (reconciliation)."""
        ...

    async def aclose(self) -> None:
        """Release connections (the container calls this once, at shutdown)."""
        ...


class PayoutProvider(Protocol):
    """Sends a venue's money to its bank (Stripe Connect, or simulated).

    ``create_payout`` is idempotent under the request's idempotency key: the same key
    returns the same payout and pays nothing twice. A payout that fails at the provider
    is a ``PayoutResult`` with status FAILED (not an exception);
    ``ProviderUnavailableError`` means the outcome is unknown (retry with the same key);
    ``ProviderRejectedError`` means the request was refused and nothing was paid.
    """

    name: str

    async def create_payout(self, request: PayoutRequest) -> PayoutResult:
        """Send ``request.amount`` to ``request.destination`` by ``request.method``."""
        ...

    async def retrieve_payout(self, provider_payout_id: str, *, destination: str) -> PayoutResult:
        """The payout's current state; ``destination`` is the account that holds it."""
        ...

    async def reclaim(
        self, provider_payout_id: str, *, destination: str, idempotency_key: str
    ) -> None:
        """A payout failed or was canceled after the money reached ``destination``: take it
        back to the platform (Stripe: reverse the transfer), so it can return to the
        venue's available balance without being paid twice. Idempotent under the key;
        ``ProviderUnavailableError`` when the outcome is unknown."""
        ...

    async def aclose(self) -> None:
        """Release connections (the container calls this once, at shutdown)."""
        ...
