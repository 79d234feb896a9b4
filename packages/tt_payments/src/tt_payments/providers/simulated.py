"""The simulated card processor: Stripe's test-mode behaviour, in memory.

``SimulatedProvider`` (name ``"simulated"``) implements the ``PaymentProvider`` port for
the embedded default (``tt serve`` with no processor configured) and for tests. It moves
no money and keeps its state in memory: a restart forgets every payment.

Cards. ``ChargeRequest.payment_method_id`` is either a Stripe test card number or a
Stripe test PaymentMethod id, and decides the outcome the way Stripe's test mode does:

- ``4242424242424242``, ``pm_card_visa``: SUCCEEDED;
- ``4000000000000002``, ``pm_card_chargeDeclined``, ``pm_card_visa_chargeDeclined``, and
  ``4000000000000341``, ``pm_card_chargeCustomerFail``: DECLINED, ``generic_decline``;
- ``4000000000009995``, ``pm_card_chargeDeclinedInsufficientFunds``,
  ``pm_card_visa_chargeDeclinedInsufficientFunds``: DECLINED, ``insufficient_funds``;
- ``4000002500003155``, ``pm_card_authenticationRequired``: REQUIRES_ACTION (3-D Secure)
  with a ``client_secret``;
- anything else: ``ProviderRejectedError`` ("No such PaymentMethod").

``require_three_d_secure=True`` turns a card that would succeed into REQUIRES_ACTION;
declining cards still decline. ``complete_action(payment_id, succeed=...)`` plays the
buyer finishing (or failing) 3-D Secure: the payment becomes SUCCEEDED, or DECLINED with
``payment_intent_authentication_failure``, as ``retrieve`` then shows. A decline is a
``Charge`` with status DECLINED, never an exception, as the port says.

Idempotency, as Stripe does it. Keys share one namespace for charges and refunds. The
same key with the same parameters returns the reply of the first request (same id, even
when the payment has moved on since: ``retrieve`` gives the current state) and creates
nothing. The same key with different parameters, or on the other operation, raises
``ProviderRejectedError`` (Stripe's ``idempotency_error``). Requests that are rejected
are not remembered. Concurrent calls with one key are serialised by the lock, so the
second one replays the first (Stripe would answer 409 while the first is in flight).

Refunds: only of a SUCCEEDED payment, in its currency, for a positive amount, while the
total refunded stays within the amount charged; otherwise ``ProviderRejectedError``.
Each refund is SUCCEEDED at once.

Fault points (``fail_next(point, times=1)``), each firing on the next ``times`` calls of
its operation, replays included:

- ``TIMEOUT_BEFORE_CHARGE`` / ``TIMEOUT_BEFORE_REFUND``: raise
  ``ProviderUnavailableError`` and record nothing, a request that never arrived;
- ``TIMEOUT_AFTER_CHARGE`` / ``TIMEOUT_AFTER_REFUND``: do the work, record it under the
  idempotency key, then raise ``ProviderUnavailableError``, the classic lost response. A
  retry with the same key gets the recorded reply and creates nothing new.

Counters for assertions: ``charges_created`` counts distinct payments created, whatever
their outcome (a replay adds nothing); ``refunds_created`` counts distinct refunds.

``latency`` (seconds, default 0) is awaited with ``sleep`` (``asyncio.sleep`` unless a test
passes its own) before every call, and outside the lock, so a load test sees a processor's
round trip without serialising on it.

Ids are deterministic: ``pi_sim_`` / ``re_sim_`` followed by the hex of a UUID5 of the
idempotency key, so the same key gives the same id in every run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from tt_money import Money
from tt_payments.clock import utcnow
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    ListedCharge,
    ListedRefund,
    ProviderRejectedError,
    ProviderUnavailableError,
    Refund,
    RefundRequest,
    RefundStatus,
)

__all__ = ["FaultPoint", "SimulatedProvider"]

# Fixed, so ids derived from idempotency keys are the same in every run.
_ID_NAMESPACE = uuid.UUID("6f1c2d0e-3b8a-4c57-9e4f-2a7d5b1c8e90")

_AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"


class FaultPoint(enum.Enum):
    """Where ``fail_next`` makes the simulated processor stop answering."""

    TIMEOUT_BEFORE_CHARGE = "timeout_before_charge"
    TIMEOUT_AFTER_CHARGE = "timeout_after_charge"
    TIMEOUT_BEFORE_REFUND = "timeout_before_refund"
    TIMEOUT_AFTER_REFUND = "timeout_after_refund"


@attrs.frozen
class _CardOutcome:
    status: ChargeStatus
    decline_code: str | None = None
    failure_message: str | None = None


_SUCCEEDS = _CardOutcome(ChargeStatus.SUCCEEDED)
_GENERIC_DECLINE = _CardOutcome(ChargeStatus.DECLINED, "generic_decline", "Your card was declined.")
_INSUFFICIENT_FUNDS = _CardOutcome(
    ChargeStatus.DECLINED, "insufficient_funds", "Your card has insufficient funds."
)
_AUTHENTICATION_REQUIRED = _CardOutcome(ChargeStatus.REQUIRES_ACTION)

_TEST_PAYMENT_METHODS: Mapping[str, _CardOutcome] = MappingProxyType(
    {
        "4242424242424242": _SUCCEEDS,
        "pm_card_visa": _SUCCEEDS,
        "4000000000000002": _GENERIC_DECLINE,
        "pm_card_chargeDeclined": _GENERIC_DECLINE,
        "pm_card_visa_chargeDeclined": _GENERIC_DECLINE,
        "4000000000000341": _GENERIC_DECLINE,
        "pm_card_chargeCustomerFail": _GENERIC_DECLINE,
        "4000000000009995": _INSUFFICIENT_FUNDS,
        "pm_card_chargeDeclinedInsufficientFunds": _INSUFFICIENT_FUNDS,
        "pm_card_visa_chargeDeclinedInsufficientFunds": _INSUFFICIENT_FUNDS,
        "4000002500003155": _AUTHENTICATION_REQUIRED,
        "pm_card_authenticationRequired": _AUTHENTICATION_REQUIRED,
    }
)


@attrs.define
class _Payment:
    charge: Charge
    refunded: Money
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    created: dt.datetime = attrs.field(factory=utcnow)


_Request = TypeVar("_Request", ChargeRequest, RefundRequest)
_Reply = TypeVar("_Reply", Charge, Refund)


class SimulatedProvider:
    """An in-memory processor with Stripe's test-card behaviour and switchable faults."""

    name = "simulated"

    def __init__(
        self,
        *,
        latency: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must not be negative, not {latency!r}")
        self._latency = latency
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._payments: dict[str, _Payment] = {}
        self._refunds: dict[str, Refund] = {}
        self._refund_details: dict[str, tuple[Mapping[str, str], dt.datetime]] = {}
        self._replies: dict[str, tuple[ChargeRequest | RefundRequest, Charge | Refund]] = {}
        self._faults: Counter[FaultPoint] = Counter()
        self._charges_created = 0
        self._refunds_created = 0

    @property
    def charges_created(self) -> int:
        """Distinct payments created so far, whatever their outcome; replays add nothing."""
        return self._charges_created

    @property
    def refunds_created(self) -> int:
        """Distinct refunds created so far; replays add nothing."""
        return self._refunds_created

    def fail_next(self, point: FaultPoint, times: int = 1) -> None:
        """Make the next ``times`` calls that pass ``point`` raise ``ProviderUnavailableError``."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive int, not {times!r}")
        self._faults[point] += times

    async def charge(self, request: ChargeRequest) -> Charge:
        """Create and confirm a simulated payment.

        Side effects: records the payment and its reply under ``request.idempotency_key``
        and counts it in ``charges_created``; no money moves anywhere. Idempotent: the same
        key and parameters return the first reply and create nothing.
        """
        return await self._once(
            request,
            Charge,
            self._create_charge,
            FaultPoint.TIMEOUT_BEFORE_CHARGE,
            FaultPoint.TIMEOUT_AFTER_CHARGE,
        )

    async def retrieve(self, provider_payment_id: str) -> Charge:
        """The payment's current state; ``ProviderRejectedError`` for an unknown id."""
        await self._pause()
        async with self._lock:
            return self._payment(provider_payment_id).charge

    async def refund(self, request: RefundRequest) -> Refund:
        """Refund part or all of a succeeded simulated payment.

        Side effects: records the refund (SUCCEEDED at once) against the payment and
        counts it in ``refunds_created``; refuses any refund that would take the total
        refunded past the amount charged. Idempotent like ``charge``.
        """
        return await self._once(
            request,
            Refund,
            self._create_refund,
            FaultPoint.TIMEOUT_BEFORE_REFUND,
            FaultPoint.TIMEOUT_AFTER_REFUND,
        )

    async def retrieve_refund(self, provider_refund_id: str) -> Refund:
        """The refund's current state; ``ProviderRejectedError`` for an unknown id."""
        await self._pause()
        async with self._lock:
            refund = self._refunds.get(provider_refund_id)
            if refund is None:
                raise ProviderRejectedError(f"No such refund: '{provider_refund_id}'")
            return refund

    async def aclose(self) -> None:
        """Nothing to release: the simulated processor holds no connections."""

    async def complete_action(self, provider_payment_id: str, *, succeed: bool) -> Charge:
        """The buyer finishes 3-D Secure on a REQUIRES_ACTION payment.

        ``succeed=True`` makes it SUCCEEDED; ``False`` makes it DECLINED with
        ``payment_intent_authentication_failure``. Any other state is refused.
        """
        async with self._lock:
            payment = self._payment(provider_payment_id)
            if payment.charge.status is not ChargeStatus.REQUIRES_ACTION:
                raise ProviderRejectedError(
                    f"payment {provider_payment_id} is {payment.charge.status.value}, "
                    "not requires_action"
                )
            if succeed:
                payment.charge = attrs.evolve(
                    payment.charge, status=ChargeStatus.SUCCEEDED, client_secret=None
                )
            else:
                payment.charge = attrs.evolve(
                    payment.charge,
                    status=ChargeStatus.DECLINED,
                    client_secret=None,
                    decline_code=_AUTHENTICATION_FAILURE,
                    failure_message="The provided PaymentMethod has failed authentication.",
                )
            return payment.charge

    async def list_charges(self, since: dt.datetime, until: dt.datetime) -> list[ListedCharge]:
        """Payments created in ``[since, until)`` as they stand now, oldest first."""
        return [
            ListedCharge(charge=payment.charge, metadata=payment.metadata, created=payment.created)
            for payment in sorted(self._payments.values(), key=lambda p: p.created)
            if since <= payment.created < until
        ]

    async def list_refunds(self, since: dt.datetime, until: dt.datetime) -> list[ListedRefund]:
        """Refunds created in ``[since, until)``, oldest first."""
        listed = [
            ListedRefund(refund=refund, metadata=metadata, created=created)
            for refund_id, refund in self._refunds.items()
            for metadata, created in [self._refund_details[refund_id]]
            if since <= created < until
        ]
        return sorted(listed, key=lambda item: item.created)

    def tamper(self, provider_payment_id: str, **changes: Any) -> None:
        """Change what the processor says about a payment (reconciliation tests: an amount
        or status that disagrees with ours)."""
        payment = self._payment(provider_payment_id)
        payment.charge = attrs.evolve(payment.charge, **changes)

    def payment_id_for(self, idempotency_key: str) -> str | None:
        """The id of the payment created under ``idempotency_key``, if one was (a test's
        view of what the processor knows when our side never heard the answer)."""
        stored = self._replies.get(idempotency_key)
        if stored is None or not isinstance(stored[1], Charge):
            return None
        return stored[1].provider_payment_id

    async def _once(
        self,
        request: _Request,
        kind: type[_Reply],
        create: Callable[[_Request], _Reply],
        before: FaultPoint,
        after: FaultPoint,
    ) -> _Reply:
        """``create`` at most once per idempotency key, with the fault points around it."""
        await self._pause()
        async with self._lock:
            self._trip(before)
            reply = self._replay(request, kind)
            if reply is None:
                reply = create(request)
                self._replies[request.idempotency_key] = (request, reply)
            self._trip(after)
            return reply

    async def _pause(self) -> None:
        if self._latency > 0:
            await self._sleep(self._latency)

    def _trip(self, point: FaultPoint) -> None:
        if self._faults[point] > 0:
            self._faults[point] -= 1
            raise ProviderUnavailableError(f"simulated processor timeout ({point.value})")

    def _replay(self, request: _Request, kind: type[_Reply]) -> _Reply | None:
        stored = self._replies.get(request.idempotency_key)
        if stored is None:
            return None
        first_request, reply = stored
        # attrs equality includes the class, so a charge key reused for a refund differs too.
        if first_request != request or not isinstance(reply, kind):
            raise ProviderRejectedError(
                "Keys for idempotent requests can only be used with the same parameters "
                f"they were first used with (idempotency_error, key {request.idempotency_key})"
            )
        return reply

    def _payment(self, provider_payment_id: str) -> _Payment:
        payment = self._payments.get(provider_payment_id)
        if payment is None:
            raise ProviderRejectedError(f"No such payment_intent: '{provider_payment_id}'")
        return payment

    def _create_charge(self, request: ChargeRequest) -> Charge:
        if not request.amount.is_positive:
            raise ProviderRejectedError(f"amount must be positive, not {request.amount}")
        outcome = _TEST_PAYMENT_METHODS.get(request.payment_method_id)
        if outcome is None:
            raise ProviderRejectedError(f"No such PaymentMethod: '{request.payment_method_id}'")
        status = outcome.status
        if status is ChargeStatus.SUCCEEDED and request.require_three_d_secure:
            status = ChargeStatus.REQUIRES_ACTION
        payment_id = "pi_sim_" + _key_hex(request.idempotency_key)
        charge = Charge(
            provider=self.name,
            provider_payment_id=payment_id,
            status=status,
            amount=request.amount,
            client_secret=(
                f"{payment_id}_secret_{_key_hex(payment_id)[:24]}"
                if status is ChargeStatus.REQUIRES_ACTION
                else None
            ),
            decline_code=outcome.decline_code,
            failure_message=outcome.failure_message,
        )
        self._payments[payment_id] = _Payment(
            charge, Money.zero(request.amount.currency), metadata=dict(request.metadata)
        )
        self._charges_created += 1
        return charge

    def _create_refund(self, request: RefundRequest) -> Refund:
        payment = self._payment(request.provider_payment_id)
        charge = payment.charge
        if charge.status is not ChargeStatus.SUCCEEDED:
            raise ProviderRejectedError(
                f"payment {charge.provider_payment_id} is {charge.status.value}: "
                "only a succeeded payment can be refunded"
            )
        if request.amount.currency != charge.amount.currency:
            raise ProviderRejectedError(
                f"refund in {request.amount.currency.code} of a payment in "
                f"{charge.amount.currency.code}"
            )
        if not request.amount.is_positive:
            raise ProviderRejectedError(f"refund amount must be positive, not {request.amount}")
        remaining = charge.amount - payment.refunded
        if request.amount > remaining:
            raise ProviderRejectedError(
                f"Refund amount ({request.amount}) is greater than unrefunded amount on "
                f"charge ({remaining})"
            )
        refund = Refund(
            provider=self.name,
            provider_refund_id="re_sim_" + _key_hex(request.idempotency_key),
            provider_payment_id=charge.provider_payment_id,
            amount=request.amount,
            status=RefundStatus.SUCCEEDED,
        )
        payment.refunded += request.amount
        self._refunds[refund.provider_refund_id] = refund
        self._refund_details[refund.provider_refund_id] = (
            dict(request.metadata),
            utcnow(),
        )
        self._refunds_created += 1
        return refund


def _key_hex(key: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, key).hex
