"""The simulated card processor: Stripe's test-mode behaviour, in memory.

``SimulatedProvider`` (name ``"simulated"``) implements the ``PaymentProvider`` port for
the embedded default (``tt serve`` with no processor configured) and for tests. It moves
no money. Its state lives in a ``SimulatorStore``: by default in this process, at most
``MemorySimulatorStore.max_documents`` documents (the oldest forgotten first, so memory
stays flat), or shared through Redis (``RedisSimulatorStore``, what ``tt serve`` uses, so
every worker process sees the same payments for ``TT_SIMULATED_RETAIN_HOURS``).

Cards. ``ChargeRequest.payment_method_id`` is either a Stripe test card number or a
Stripe test PaymentMethod id, and decides the outcome the way Stripe's test mode does:

- ``4242424242424242``, ``pm_card_visa``: SUCCEEDED;
- ``4000000000000002``, ``pm_card_chargeDeclined``, ``pm_card_visa_chargeDeclined``, and
  ``4000000000000341``, ``pm_card_chargeCustomerFail``: DECLINED, ``generic_decline``;
- ``4000000000009995``, ``pm_card_chargeDeclinedInsufficientFunds``,
  ``pm_card_visa_chargeDeclinedInsufficientFunds``: DECLINED, ``insufficient_funds``;
- ``4000002500003155``, ``pm_card_authenticationRequired``: REQUIRES_ACTION (3-D Secure)
  with a ``client_secret``;
- ``pm_sim_<anything>``: SUCCEEDED, each its own card (as the ``pm_1...`` ids Stripe.js
  creates per buyer: the load benches give each buyer one, so purchase limits and
  velocity count buyers, not one shared test card);
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
are not remembered. Concurrent calls with one key are serialised by the store, so the
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

Counters for assertions: ``charges_created`` counts distinct payments this object created,
whatever their outcome (a replay adds nothing); ``refunds_created`` counts distinct refunds.
Faults and counters belong to the object, not to the shared store.

``latency`` (seconds, default 0) is awaited with ``sleep`` (``asyncio.sleep`` unless a test
passes its own) before every call, and outside the store's lock, so a load test sees a processor's
round trip without serialising on it.

Ids are deterministic: ``pi_sim_`` / ``re_sim_`` followed by the hex of a UUID5 of the
idempotency key, so the same key gives the same id in every run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
from cattrs.preconf.json import make_converter

from tt_money import Money
from tt_payments.clock import utcnow
from tt_payments.providers.simulator_store import MemorySimulatorStore, SimulatorStore
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

# The store's documents: ``key:<idempotency key>`` the first request and its reply,
# ``pi:<id>`` a payment, ``re:<id>`` a refund.
_REPLY, _PAYMENT, _REFUND = "key:", "pi:", "re:"

_json = make_converter()
_json.register_unstructure_hook(Money, lambda money: [money.minor, money.currency.code])
_json.register_structure_hook(Money, lambda value, _: Money.of(value[0], value[1]))


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

_OWN_CARD_PREFIX = "pm_sim_"
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


@attrs.frozen(kw_only=True)
class _Payment:
    charge: Charge
    refunded: Money
    metadata: Mapping[str, str]
    created: dt.datetime


_Request = TypeVar("_Request", ChargeRequest, RefundRequest)
_Reply = TypeVar("_Reply", Charge, Refund)
_Document = TypeVar("_Document")


class SimulatedProvider:
    """A processor with Stripe's test-card behaviour and switchable faults."""

    name = "simulated"

    def __init__(
        self,
        *,
        store: SimulatorStore | None = None,
        latency: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must not be negative, not {latency!r}")
        self._store: SimulatorStore = store if store is not None else MemorySimulatorStore()
        self._latency = latency
        self._sleep = sleep
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
        await self._pause()
        self._trip(FaultPoint.TIMEOUT_BEFORE_CHARGE)
        answer: list[tuple[Charge, bool]] = []  # the reply, and whether it is new

        def create(found: Sequence[str | None]) -> Mapping[str, str]:
            first = _replay(found[0], request, Charge)
            if first is not None:
                answer[:] = [(first, False)]
                return {}
            charge = self._new_charge(request)
            answer[:] = [(charge, True)]
            payment = _Payment(
                charge=charge,
                refunded=Money.zero(request.amount.currency),
                metadata=dict(request.metadata),
                created=utcnow(),
            )
            return {
                _REPLY + request.idempotency_key: _reply_document(request, charge),
                _PAYMENT + charge.provider_payment_id: _dump(payment),
            }

        await self._store.update([_REPLY + request.idempotency_key], create)
        reply, created = answer[0]
        if created:
            self._charges_created += 1
        self._trip(FaultPoint.TIMEOUT_AFTER_CHARGE)
        return reply

    async def retrieve(self, provider_payment_id: str) -> Charge:
        """The payment's current state; ``ProviderRejectedError`` for an unknown id."""
        await self._pause()
        return (await self._payment(provider_payment_id)).charge

    async def refund(self, request: RefundRequest) -> Refund:
        """Refund part or all of a succeeded simulated payment.

        Side effects: records the refund (SUCCEEDED at once) against the payment and
        counts it in ``refunds_created``; refuses any refund that would take the total
        refunded past the amount charged. Idempotent like ``charge``.
        """
        await self._pause()
        self._trip(FaultPoint.TIMEOUT_BEFORE_REFUND)
        answer: list[tuple[Refund, bool]] = []  # the reply, and whether it is new
        payment_key = _PAYMENT + request.provider_payment_id

        def create(found: Sequence[str | None]) -> Mapping[str, str]:
            first = _replay(found[0], request, Refund)
            if first is not None:
                answer[:] = [(first, False)]
                return {}
            payment = _known_payment(found[1], request.provider_payment_id)
            refund = _new_refund(request, payment)
            answer[:] = [(refund, True)]
            stored = ListedRefund(refund=refund, metadata=dict(request.metadata), created=utcnow())
            refunded = attrs.evolve(payment, refunded=payment.refunded + request.amount)
            return {
                _REPLY + request.idempotency_key: _reply_document(request, refund),
                _PAYMENT + request.provider_payment_id: _dump(refunded),
                _REFUND + refund.provider_refund_id: _dump(stored),
            }

        await self._store.update([_REPLY + request.idempotency_key, payment_key], create)
        reply, created = answer[0]
        if created:
            self._refunds_created += 1
        self._trip(FaultPoint.TIMEOUT_AFTER_REFUND)
        return reply

    async def retrieve_refund(self, provider_refund_id: str) -> Refund:
        """The refund's current state; ``ProviderRejectedError`` for an unknown id."""
        await self._pause()
        document = await self._store.get(_REFUND + provider_refund_id)
        if document is None:
            raise ProviderRejectedError(f"No such refund: '{provider_refund_id}'")
        return _load(document, ListedRefund).refund

    async def aclose(self) -> None:
        """Nothing to release: the store's connections belong to whoever made it."""

    async def complete_action(self, provider_payment_id: str, *, succeed: bool) -> Charge:
        """The buyer finishes 3-D Secure on a REQUIRES_ACTION payment.

        ``succeed=True`` makes it SUCCEEDED; ``False`` makes it DECLINED with
        ``payment_intent_authentication_failure``. Any other state is refused.
        """

        def finish(charge: Charge) -> Charge:
            if charge.status is not ChargeStatus.REQUIRES_ACTION:
                raise ProviderRejectedError(
                    f"payment {provider_payment_id} is {charge.status.value}, not requires_action"
                )
            if succeed:
                return attrs.evolve(charge, status=ChargeStatus.SUCCEEDED, client_secret=None)
            return attrs.evolve(
                charge,
                status=ChargeStatus.DECLINED,
                client_secret=None,
                decline_code=_AUTHENTICATION_FAILURE,
                failure_message="The provided PaymentMethod has failed authentication.",
            )

        return await self._change_charge(provider_payment_id, finish)

    async def list_charges(self, since: dt.datetime, until: dt.datetime) -> list[ListedCharge]:
        """Payments created in ``[since, until)`` as they stand now, oldest first."""
        payments = [
            payment
            for document in await self._store.documents(_PAYMENT)
            if since <= (payment := _load(document, _Payment)).created < until
        ]
        return [
            ListedCharge(charge=payment.charge, metadata=payment.metadata, created=payment.created)
            for payment in sorted(payments, key=lambda payment: payment.created)
        ]

    async def list_refunds(self, since: dt.datetime, until: dt.datetime) -> list[ListedRefund]:
        """Refunds created in ``[since, until)``, oldest first."""
        refunds = [
            stored
            for document in await self._store.documents(_REFUND)
            if since <= (stored := _load(document, ListedRefund)).created < until
        ]
        return sorted(refunds, key=lambda stored: stored.created)

    async def tamper(self, provider_payment_id: str, **changes: Any) -> None:
        """Change what the processor says about a payment (reconciliation tests: an amount
        or status that disagrees with ours)."""
        await self._change_charge(
            provider_payment_id, lambda charge: attrs.evolve(charge, **changes)
        )

    async def payment_id_for(self, idempotency_key: str) -> str | None:
        """The id of the payment created under ``idempotency_key``, if one was (a test's
        view of what the processor knows when our side never heard the answer)."""
        document = await self._store.get(_REPLY + idempotency_key)
        if document is None:
            return None
        stored = json.loads(document)
        if stored["kind"] != Charge.__name__:
            return None
        return _json.structure(stored["reply"], Charge).provider_payment_id

    async def _change_charge(
        self, provider_payment_id: str, change: Callable[[Charge], Charge]
    ) -> Charge:
        changed: list[Charge] = []

        def write(found: Sequence[str | None]) -> Mapping[str, str]:
            payment = _known_payment(found[0], provider_payment_id)
            charge = change(payment.charge)
            changed[:] = [charge]
            return {_PAYMENT + provider_payment_id: _dump(attrs.evolve(payment, charge=charge))}

        await self._store.update([_PAYMENT + provider_payment_id], write)
        return changed[0]

    async def _pause(self) -> None:
        if self._latency > 0:
            await self._sleep(self._latency)

    def _trip(self, point: FaultPoint) -> None:
        if self._faults[point] > 0:
            self._faults[point] -= 1
            raise ProviderUnavailableError(f"simulated processor timeout ({point.value})")

    async def _payment(self, provider_payment_id: str) -> _Payment:
        return _known_payment(
            await self._store.get(_PAYMENT + provider_payment_id), provider_payment_id
        )

    def _new_charge(self, request: ChargeRequest) -> Charge:
        if not request.amount.is_positive:
            raise ProviderRejectedError(f"amount must be positive, not {request.amount}")
        outcome = _TEST_PAYMENT_METHODS.get(request.payment_method_id)
        if outcome is None and request.payment_method_id.startswith(_OWN_CARD_PREFIX):
            outcome = _SUCCEEDS
        if outcome is None:
            raise ProviderRejectedError(f"No such PaymentMethod: '{request.payment_method_id}'")
        status = outcome.status
        if status is ChargeStatus.SUCCEEDED and request.require_three_d_secure:
            status = ChargeStatus.REQUIRES_ACTION
        payment_id = "pi_sim_" + _key_hex(request.idempotency_key)
        return Charge(
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


def _new_refund(request: RefundRequest, payment: _Payment) -> Refund:
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
    return Refund(
        provider=SimulatedProvider.name,
        provider_refund_id="re_sim_" + _key_hex(request.idempotency_key),
        provider_payment_id=charge.provider_payment_id,
        amount=request.amount,
        status=RefundStatus.SUCCEEDED,
    )


def _known_payment(document: str | None, provider_payment_id: str) -> _Payment:
    if document is None:
        raise ProviderRejectedError(f"No such payment_intent: '{provider_payment_id}'")
    return _load(document, _Payment)


def _reply_document(request: ChargeRequest | RefundRequest, reply: Charge | Refund) -> str:
    return json.dumps(
        {
            "request": _fingerprint(request),
            "kind": type(reply).__name__,
            "reply": _json.unstructure(reply),
        }
    )


def _replay(document: str | None, request: _Request, kind: type[_Reply]) -> _Reply | None:
    """The first reply under the request's key, or None when the key is new."""
    if document is None:
        return None
    stored = json.loads(document)
    # The request's class is in its fingerprint, so a charge key reused for a refund differs.
    if stored["request"] != _fingerprint(request) or stored["kind"] != kind.__name__:
        raise ProviderRejectedError(
            "Keys for idempotent requests can only be used with the same parameters "
            f"they were first used with (idempotency_error, key {request.idempotency_key})"
        )
    return _json.structure(stored["reply"], kind)


def _fingerprint(request: ChargeRequest | RefundRequest) -> str:
    return json.dumps([type(request).__name__, _json.unstructure(request)], sort_keys=True)


def _dump(document: _Payment | ListedRefund) -> str:
    return _json.dumps(document)


def _load(document: str, kind: type[_Document]) -> _Document:
    return _json.loads(document, kind)


def _key_hex(key: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, key).hex
