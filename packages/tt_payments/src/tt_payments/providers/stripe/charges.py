"""``StripeProvider``: the ``PaymentProvider`` port on Stripe's PaymentIntents and Refunds.

The only module that imports ``stripe``. It speaks to Stripe (or ``localstripe``, through
``api_base``) with the official SDK's async calls over httpx, and translates both ways:
``Money`` to an integer ``amount`` and a lower-case ``currency``; Stripe's statuses and
errors to ours.

Charges are one ``POST /v1/payment_intents`` with ``confirm=true``, card only
(``allowed_payment_method_types``), under our idempotency key; the API version is the one
the SDK pins. PaymentIntent statuses map as: ``succeeded`` SUCCEEDED;
``requires_action`` REQUIRES_ACTION with the ``client_secret``; ``processing``
PROCESSING; ``canceled`` CANCELED; ``requires_payment_method`` (what a confirmed intent
falls back to after a decline or a failed 3-D Secure) DECLINED with the
``last_payment_error``'s decline code; ``requires_confirmation``/``requires_capture``
(not expected with ``confirm=true`` and automatic capture) and any status newer than this
module PROCESSING, which leaves the payment to the webhook or reconciliation.

Errors:

- ``CardError`` (402) is a decline: a ``Charge`` with status DECLINED, Stripe's
  ``decline_code`` (else its ``code``) and message kept, and the PaymentIntent's id from
  the error (or, where the error names only the charge, from that charge);
- ``APIConnectionError`` (connection lost, timeout), ``RateLimitError`` (429) and
  ``APIError`` (5xx, and 409 while a request with the same key is still running):
  ``ProviderUnavailableError``, the outcome is unknown;
- everything else (``InvalidRequestError``, ``IdempotencyError``,
  ``AuthenticationError``, ``PermissionError`` ...): ``ProviderRejectedError``.

The SDK retries network failures, 409s and 5xx up to ``max_network_retries`` times and
sends the same ``Idempotency-Key`` on every attempt, so a retry never charges twice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import stripe
from stripe.params import (
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    PaymentIntentListParamsCreated,
    RefundCreateParams,
    RefundListParams,
)

from tt_money import Money
from tt_payments.providers.stripe.client import StripeConnection, calling_stripe, translated
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    ListedCharge,
    ListedRefund,
    Refund,
    RefundRequest,
    RefundStatus,
)

__all__ = ["StripeProvider"]

_CHARGE_STATUSES: Mapping[str, ChargeStatus] = MappingProxyType(
    {
        "succeeded": ChargeStatus.SUCCEEDED,
        "requires_action": ChargeStatus.REQUIRES_ACTION,
        "processing": ChargeStatus.PROCESSING,
        "canceled": ChargeStatus.CANCELED,
        "requires_payment_method": ChargeStatus.DECLINED,
        "requires_confirmation": ChargeStatus.PROCESSING,
        "requires_capture": ChargeStatus.PROCESSING,
    }
)

_REFUND_STATUSES: Mapping[str, RefundStatus] = MappingProxyType(
    {
        "pending": RefundStatus.PENDING,
        "requires_action": RefundStatus.PENDING,
        "succeeded": RefundStatus.SUCCEEDED,
        "failed": RefundStatus.FAILED,
        "canceled": RefundStatus.CANCELED,
    }
)

_T = TypeVar("_T")


class StripeProvider(StripeConnection):
    """Stripe's PaymentIntents and Refunds behind the ``PaymentProvider`` port.

    ``api_base`` points the client elsewhere (``http://127.0.0.1:8420`` for localstripe);
    ``timeout`` is how many seconds httpx waits at each step of an attempt (connect,
    send, read). Build it in ``bootstrap()``; ``aclose()`` releases its connection pool.
    """

    name = "stripe"

    async def charge(self, request: ChargeRequest) -> Charge:
        """Create and confirm a card PaymentIntent for ``request.amount``.

        Side effects: Stripe charges the card (or holds it for 3-D Secure). Idempotent:
        sent under ``request.idempotency_key``, so a repeat returns Stripe's first answer
        (the same PaymentIntent, or the same decline) and charges nothing again.
        """
        params: PaymentIntentCreateParams = {
            "amount": request.amount.minor,
            "currency": request.amount.currency.code.lower(),
            "payment_method": request.payment_method_id,
            # API 2026-09-30.endive (the SDK's pinned version) removed the writable
            # ``payment_method_types``; this keeps the intent card-only, with no redirects.
            "allowed_payment_method_types": ["card"],
            "confirm": True,
        }
        if request.metadata:
            params["metadata"] = dict(request.metadata)
        if request.description:
            params["description"] = request.description
        if request.require_three_d_secure:
            params["payment_method_options"] = {"card": {"request_three_d_secure": "any"}}
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params, {"idempotency_key": request.idempotency_key}
            )
        except stripe.CardError as err:
            return await self._declined(err, request.amount)
        except stripe.StripeError as err:
            raise translated(err) from err
        return self._charge_from(intent)

    async def retrieve(self, provider_payment_id: str) -> Charge:
        """The PaymentIntent's current state, mapped like ``charge``'s answer."""
        intent = await calling_stripe(
            self._client.v1.payment_intents.retrieve_async(provider_payment_id)
        )
        return self._charge_from(intent)

    async def refund(self, request: RefundRequest) -> Refund:
        """Refund ``request.amount`` of a PaymentIntent; our reason goes in the metadata.

        Side effects: Stripe returns the money to the card (Stripe itself refuses more
        than the unrefunded amount). Idempotent under ``request.idempotency_key``.
        Stripe refunds in the payment's currency: the caller sends the payment's own.
        """
        params: RefundCreateParams = {
            "payment_intent": request.provider_payment_id,
            "amount": request.amount.minor,
        }
        metadata = dict(request.metadata)
        if request.reason:
            # Stripe's own ``reason`` is an enum (duplicate, fraudulent, ...); ours is text.
            metadata["reason"] = request.reason
        if metadata:
            params["metadata"] = metadata
        refund = await calling_stripe(
            self._client.v1.refunds.create_async(
                params, {"idempotency_key": request.idempotency_key}
            )
        )
        return self._refund_from(refund)

    async def retrieve_refund(self, provider_refund_id: str) -> Refund:
        """The refund's current state."""
        refund = await calling_stripe(self._client.v1.refunds.retrieve_async(provider_refund_id))
        return self._refund_from(refund)

    async def list_charges(self, since: dt.datetime, until: dt.datetime) -> list[ListedCharge]:
        """PaymentIntents created in ``[since, until)``, every page."""
        params: PaymentIntentListParams = {"created": _window(since, until), "limit": 100}
        page = await calling_stripe(self._client.v1.payment_intents.list_async(params))
        listed: list[ListedCharge] = []
        async for intent in page.auto_paging_iter():
            listed.append(
                ListedCharge(
                    charge=self._charge_from(intent),
                    metadata=_metadata(intent.metadata),
                    created=dt.datetime.fromtimestamp(intent.created, dt.UTC),
                )
            )
        return listed

    async def list_refunds(self, since: dt.datetime, until: dt.datetime) -> list[ListedRefund]:
        """Refunds created in ``[since, until)``, every page."""
        params: RefundListParams = {"created": _window(since, until), "limit": 100}
        page = await calling_stripe(self._client.v1.refunds.list_async(params))
        listed: list[ListedRefund] = []
        async for refund in page.auto_paging_iter():
            listed.append(
                ListedRefund(
                    refund=self._refund_from(refund),
                    metadata=_metadata(refund.metadata),
                    created=dt.datetime.fromtimestamp(refund.created, dt.UTC),
                )
            )
        return listed

    async def _declined(self, err: stripe.CardError, amount: Money) -> Charge:
        decline_code, message = _decline_of(err.error)
        return Charge(
            provider=self.name,
            provider_payment_id=await self._declined_payment_id(err.error),
            status=ChargeStatus.DECLINED,
            amount=amount,
            decline_code=decline_code or err.code,
            failure_message=message or err.user_message,
        )

    async def _declined_payment_id(self, error: stripe.ErrorObject | None) -> str:
        """The declined PaymentIntent's id; "" when Stripe names none."""
        if error is None:
            return ""
        if error.payment_intent is not None:
            return error.payment_intent.id
        if error.charge:
            # Some servers (localstripe) name only the failed charge; it knows its intent.
            charge = await calling_stripe(self._client.v1.charges.retrieve_async(error.charge))
            return _id_of(charge.payment_intent)
        return ""

    def _charge_from(self, intent: stripe.PaymentIntent) -> Charge:
        status = _CHARGE_STATUSES.get(intent.status, ChargeStatus.PROCESSING)
        decline_code, message = (
            _decline_of(intent.last_payment_error)
            if status is ChargeStatus.DECLINED
            else (None, None)
        )
        return Charge(
            provider=self.name,
            provider_payment_id=intent.id,
            status=status,
            amount=Money.of(intent.amount, intent.currency),
            client_secret=(
                intent.client_secret if status is ChargeStatus.REQUIRES_ACTION else None
            ),
            decline_code=decline_code,
            failure_message=message,
        )

    def _refund_from(self, refund: stripe.Refund) -> Refund:
        return Refund(
            provider=self.name,
            provider_refund_id=refund.id,
            provider_payment_id=_id_of(refund.payment_intent),
            amount=Money.of(refund.amount, refund.currency),
            # An unknown or missing status is not final: reconciliation looks again.
            status=_REFUND_STATUSES.get(refund.status or "", RefundStatus.PENDING),
            # Only a failed refund is sure to carry it; a missing field raises in the SDK.
            failure_reason=getattr(refund, "failure_reason", None),
        )


def _decline_of(error: stripe.StripeObject | None) -> tuple[str | None, str | None]:
    """The decline code (else the error code) and message of a Stripe error object."""
    # Stripe leaves null fields out of error objects, and the SDK's attribute access then
    # raises AttributeError: read each one with a default.
    decline_code = getattr(error, "decline_code", None) or getattr(error, "code", None)
    message = getattr(error, "message", None)
    return decline_code, message


def _id_of(field: str | stripe.PaymentIntent | None) -> str:
    if field is None:
        return ""
    return field if isinstance(field, str) else field.id


def _window(since: dt.datetime, until: dt.datetime) -> PaymentIntentListParamsCreated:
    # Stripe counts whole seconds: round the window outwards so no edge object is lost.
    return {"gte": math.floor(since.timestamp()), "lt": math.ceil(until.timestamp())}


def _metadata(metadata: object) -> dict[str, str]:
    if not metadata:
        return {}
    # The SDK's StripeObject is not a Mapping; to_dict() gives the plain one.
    plain = metadata.to_dict() if isinstance(metadata, stripe.StripeObject) else metadata
    if not isinstance(plain, dict):
        return {}
    return {str(key): str(value) for key, value in plain.items()}
