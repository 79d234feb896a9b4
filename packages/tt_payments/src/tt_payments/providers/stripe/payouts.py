"""``StripeConnectPayouts``: the ``PayoutProvider`` port on Stripe Connect.

A payout is two calls with the official SDK's async client (the API version it pins),
each under a key derived from the request's idempotency key:

1. ``POST /v1/transfers`` on the platform: ``amount``, ``currency``,
   ``destination`` (the venue's connected account), ``transfer_group`` (our payout id),
   key ``<key>:transfer``; the money moves to the connected account's Stripe balance;
2. ``POST /v1/payouts`` on the connected account (``Stripe-Account: <destination>``):
   the same amount and currency, ``method`` ``standard`` or ``instant``, metadata
   ``payoutId``, ``tenantId``, ``venueId`` (and the request's own), key ``<key>:payout``;
   the money leaves for the venue's bank.

A retry with the same key replays both (Stripe answers the first response again), so a
timeout between them is safe: the retry finds the transfer done and makes the payout.
If Stripe refuses the payout itself (``InvalidRequestError`` or ``CardError``, e.g.
instant payouts unsupported for that bank, or a balance too low), the transfer is
reversed (``POST /v1/transfers/{id}/reversals``, key ``<key>:reversal``) so no money is
left on the connected account while our ledger returns it to available; then
``ProviderRejectedError``. If the reversal's outcome is unknown, the error is
``ProviderUnavailableError`` and a retry with the key finishes it. An
``IdempotencyError`` (the key reused with other parameters) reverses nothing: the first
request's payout may exist.

``retrieve_payout`` is ``GET /v1/payouts/{id}`` on the connected account.

Stripe's payout statuses map as: ``paid`` PAID, ``failed`` FAILED (with Stripe's
``failure_code`` and ``failure_message``), ``canceled`` CANCELED, ``in_transit``
IN_TRANSIT, and ``pending`` (accepted, not yet sent to the bank) IN_TRANSIT too: our
PENDING means "not yet accepted by the provider", which an answer from Stripe never is.
A status newer than this module is IN_TRANSIT (not final; the webhook or a retrieve
settles it). ``arrival_date`` (a Unix time) becomes its UTC date. Amounts stay integers.

Errors: ``APIConnectionError`` (connection refused or lost, timeout), ``RateLimitError``
(429) and ``APIError`` (5xx, 409): ``ProviderUnavailableError``, outcome unknown;
everything else (``InvalidRequestError``, ``CardError``, ``IdempotencyError``,
``AuthenticationError``, ``PermissionError``...): ``ProviderRejectedError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import stripe
from stripe.params import PayoutCreateParams, TransferCreateParams

from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod
from tt_money import Money
from tt_payments.providers.payouts import PayoutRequest, PayoutResult
from tt_payments.providers.stripe.client import StripeConnection, calling_stripe, translated
from tt_payments.providers.types import ProviderRejectedError, ProviderUnavailableError

__all__ = ["StripeConnectPayouts"]

_PAYOUT_STATUSES: Mapping[str, PayoutStatus] = MappingProxyType(
    {
        "pending": PayoutStatus.IN_TRANSIT,
        "in_transit": PayoutStatus.IN_TRANSIT,
        "paid": PayoutStatus.PAID,
        "failed": PayoutStatus.FAILED,
        "canceled": PayoutStatus.CANCELED,
    }
)

_METHODS: Mapping[PayoutMethod, str] = MappingProxyType(
    {PayoutMethod.STANDARD: "standard", PayoutMethod.INSTANT: "instant"}
)

_T = TypeVar("_T")


_WHAT = "payout request"


class StripeConnectPayouts(StripeConnection):
    """Stripe Connect transfers and payouts behind the ``PayoutProvider`` port.

    ``api_base`` points the client elsewhere (a local server in tests); ``timeout`` is
    how many seconds httpx waits at each step of an attempt. Build it in ``bootstrap()``;
    ``aclose()`` releases its connection pool.
    """

    name = "stripe"

    async def create_payout(self, request: PayoutRequest) -> PayoutResult:
        """Transfer ``request.amount`` to the connected account, then pay it out.

        Side effects: money moves from the platform's Stripe balance to the venue's bank
        (or, when the payout is refused, to the connected account and back). Idempotent
        under ``request.idempotency_key``: a repeat pays nothing again.
        """
        metadata = {
            **request.metadata,
            "payoutId": str(request.payout_id),
            "tenantId": str(request.tenant_id),
            "venueId": str(request.venue_id),
        }
        currency = request.amount.currency.code.lower()
        transfer_params: TransferCreateParams = {
            "amount": request.amount.minor,
            "currency": currency,
            "destination": request.destination,
            "transfer_group": str(request.payout_id),
            "metadata": metadata,
        }
        transfer = await calling_stripe(
            self._client.v1.transfers.create_async(
                transfer_params, {"idempotency_key": f"{request.idempotency_key}:transfer"}
            ),
            what=_WHAT,
        )
        payout_params: PayoutCreateParams = {
            "amount": request.amount.minor,
            "currency": currency,
            "method": _METHODS[request.method],
            # How to take the money back if the payout fails later (``reclaim``).
            "metadata": {**metadata, "transferId": transfer.id},
        }
        try:
            payout = await self._client.v1.payouts.create_async(
                payout_params,
                {
                    "idempotency_key": f"{request.idempotency_key}:payout",
                    "stripe_account": request.destination,
                },
            )
        except stripe.StripeError as err:
            refusal = translated(err, what=_WHAT)
            if isinstance(refusal, ProviderUnavailableError) or isinstance(
                err, stripe.IdempotencyError
            ):
                # The payout may exist: a retry under the same key finds out.
                raise refusal from err
            # Refused: the money goes back to the platform before we say so, or the
            # venue would have it twice (on its Stripe balance and in its available).
            await self._reverse(transfer.id, metadata, f"{request.idempotency_key}:reversal")
            raise translated(err, what=_WHAT, note="the transfer was reversed") from err
        return self._result_from(payout)

    async def retrieve_payout(self, provider_payout_id: str, *, destination: str) -> PayoutResult:
        """The payout's current state, read on the connected account ``destination``."""
        payout = await calling_stripe(
            self._client.v1.payouts.retrieve_async(
                provider_payout_id, options={"stripe_account": destination}
            ),
            what=_WHAT,
        )
        return self._result_from(payout)

    async def reclaim(
        self, provider_payout_id: str, *, destination: str, idempotency_key: str
    ) -> None:
        """Reverse the transfer behind a payout that failed or was canceled (Stripe returns
        such funds to the connected account's balance)."""
        payout = await calling_stripe(
            self._client.v1.payouts.retrieve_async(
                provider_payout_id, options={"stripe_account": destination}
            ),
            what=_WHAT,
        )
        metadata = dict(payout.to_dict().get("metadata") or {})
        transfer_id = metadata.get("transferId")
        if not transfer_id:
            raise ProviderRejectedError(
                f"payout {provider_payout_id} names no transfer to reverse; reverse it by hand"
            )
        await self._reverse(str(transfer_id), metadata, f"{idempotency_key}:reversal")

    async def _reverse(self, transfer_id: str, metadata: Mapping[str, str], key: str) -> None:
        await calling_stripe(
            self._client.v1.transfers.reversals.create_async(
                transfer_id, {"metadata": dict(metadata)}, {"idempotency_key": key}
            ),
            what=_WHAT,
        )

    def _result_from(self, payout: stripe.Payout) -> PayoutResult:
        return stripe_payout_result(payout.to_dict())


def stripe_payout_result(payout: Mapping[str, Any]) -> PayoutResult:
    """A Stripe payout (an API answer, or a ``payout.*`` webhook's object) as ours."""
    status = _PAYOUT_STATUSES.get(str(payout.get("status")), PayoutStatus.IN_TRANSIT)
    failed = status is PayoutStatus.FAILED
    # Stripe may leave null fields out: read with defaults.
    arrival = payout.get("arrival_date")
    return PayoutResult(
        provider="stripe",
        provider_payout_id=str(payout["id"]),
        status=status,
        amount=Money.of(int(payout["amount"]), str(payout["currency"])),
        arrival_date=(
            dt.datetime.fromtimestamp(arrival, dt.UTC).date() if isinstance(arrival, int) else None
        ),
        failure_code=payout.get("failure_code") if failed else None,
        failure_message=payout.get("failure_message") if failed else None,
    )
