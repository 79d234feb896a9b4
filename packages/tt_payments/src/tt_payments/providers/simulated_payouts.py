"""The simulated payout provider: Stripe Connect payouts, in memory.

``SimulatedPayouts`` (name ``"simulated"``) implements the ``PayoutProvider`` port for the
embedded default and for tests. It moves no money and keeps its state in memory: a
restart forgets every payout. Time comes from ``clock`` (default: the system clock, UTC),
which must return timezone-aware datetimes, so tests can move it.

Outcomes, decided by the request, checked in this order:

- a ``destination`` that does not start with ``acct_``, or an amount that is not
  positive: ``ProviderRejectedError``, and nothing is recorded;
- destination ``acct_fail`` (``FAILING_DESTINATION``): the payout is created FAILED, with
  ``failure_code`` ``account_closed`` and ``failure_message`` "The bank account has been
  closed.", and no ``arrival_date`` (the way Stripe reports a payout to a closed account);
- INSTANT: PAID at once; ``arrival_date`` is the date 30 minutes after creation;
- STANDARD: IN_TRANSIT, due at ``estimate_arrival(STANDARD, created).latest`` (two
  business days later, the same time of day); ``arrival_date`` is that moment's date, and
  ``retrieve_payout`` at or after that moment shows it PAID (for good: winding the clock
  back does not undo it).

``retrieve_payout`` needs the payout's own ``destination``: another account does not
know the payout (``ProviderRejectedError``, "No such payout"), as with Stripe's
``Stripe-Account`` header. ``fail_payout`` plays a bank returning a payout later (from
IN_TRANSIT or PAID to FAILED, Stripe's ``payout.failed`` after ``payout.paid``).

Idempotency, as Stripe does it: the same key with the same request returns the reply to
the first one (same id and amount; ``retrieve_payout`` gives the current state) and
creates nothing; the same key with a different request raises ``ProviderRejectedError``
(``idempotency_error``). Rejected requests are not remembered. Concurrent calls with one
key are serialised by a lock, so the second replays the first.

Fault points (``fail_next(point, times=1)``), each firing on the next ``times`` calls of
its operation, replays included:

- ``TIMEOUT_BEFORE_PAYOUT``: ``ProviderUnavailableError``, nothing recorded (the request
  never arrived);
- ``TIMEOUT_AFTER_PAYOUT``: the payout is created and recorded under its key, then
  ``ProviderUnavailableError`` (the lost response); a retry with the key gets the payout;
- ``TIMEOUT_ON_RETRIEVE``: ``retrieve_payout`` raises ``ProviderUnavailableError``.

``payouts_created`` counts distinct payouts created, failed ones included (a replay adds
nothing). Ids are deterministic: ``po_sim_`` and the hex of a UUID5 of the idempotency
key. ``latency`` (seconds) is awaited before every call, outside the lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import uuid
from collections import Counter
from collections.abc import Callable

import attrs

from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod, estimate_arrival
from tt_payments.clock import utcnow
from tt_payments.providers.payouts import PayoutRequest, PayoutResult
from tt_payments.providers.types import ProviderRejectedError, ProviderUnavailableError

__all__ = [
    "ACCOUNT_CLOSED",
    "FAILING_DESTINATION",
    "PayoutFaultPoint",
    "SimulatedPayouts",
]

FAILING_DESTINATION = "acct_fail"
"""Payouts to this destination fail with ``ACCOUNT_CLOSED``."""
ACCOUNT_CLOSED = "account_closed"
_ACCOUNT_CLOSED_MESSAGE = "The bank account has been closed."

# Fixed, so ids derived from idempotency keys are the same in every run.
_ID_NAMESPACE = uuid.UUID("0b6f3c8e-52d4-4e1a-a7c9-8d2e6f4b1a37")


class PayoutFaultPoint(enum.Enum):
    """Where ``fail_next`` makes the simulated payout provider stop answering."""

    TIMEOUT_BEFORE_PAYOUT = "timeout_before_payout"
    TIMEOUT_AFTER_PAYOUT = "timeout_after_payout"
    TIMEOUT_ON_RECLAIM = "timeout_on_reclaim"
    TIMEOUT_ON_RETRIEVE = "timeout_on_retrieve"


@attrs.define
class _Payout:
    destination: str
    result: PayoutResult
    arrives_at: dt.datetime | None
    """When an IN_TRANSIT payout becomes PAID; None when nothing is due."""


class SimulatedPayouts:
    """An in-memory payout provider with deterministic outcomes and switchable faults."""

    name = "simulated"

    def __init__(self, *, clock: Callable[[], dt.datetime] = utcnow, latency: float = 0.0) -> None:
        if latency < 0:
            raise ValueError(f"latency must not be negative, not {latency!r}")
        self._clock = clock
        self._latency = latency
        self._lock = asyncio.Lock()
        self._payouts: dict[str, _Payout] = {}
        self._replies: dict[str, tuple[PayoutRequest, PayoutResult]] = {}
        self._faults: Counter[PayoutFaultPoint] = Counter()
        self._payouts_created = 0

    @property
    def payouts_created(self) -> int:
        """Distinct payouts created so far, failed ones included; replays add nothing."""
        return self._payouts_created

    def fail_next(self, point: PayoutFaultPoint, times: int = 1) -> None:
        """Make the next ``times`` calls that pass ``point`` raise ``ProviderUnavailableError``."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive int, not {times!r}")
        self._faults[point] += times

    def payout_id_for(self, idempotency_key: str) -> str | None:
        """The id of the payout created under ``idempotency_key``, if one was."""
        stored = self._replies.get(idempotency_key)
        return None if stored is None else stored[1].provider_payout_id

    async def create_payout(self, request: PayoutRequest) -> PayoutResult:
        """Create a simulated payout (see the module docstring for the outcomes).

        Side effects: records the payout and its reply under ``request.idempotency_key``
        and counts it in ``payouts_created``; no money moves. Idempotent: the same key
        and request return the first reply and create nothing.
        """
        await self._pause()
        async with self._lock:
            self._trip(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)
            reply = self._replay(request)
            if reply is None:
                reply = self._create(request)
                self._replies[request.idempotency_key] = (request, reply)
            self._trip(PayoutFaultPoint.TIMEOUT_AFTER_PAYOUT)
            return reply

    async def retrieve_payout(self, provider_payout_id: str, *, destination: str) -> PayoutResult:
        """The payout's current state: a STANDARD payout whose arrival moment has come is
        PAID from now on. ``ProviderRejectedError`` for an id ``destination`` does not hold."""
        await self._pause()
        async with self._lock:
            self._trip(PayoutFaultPoint.TIMEOUT_ON_RETRIEVE)
            payout = self._payout(provider_payout_id, destination)
            if payout.arrives_at is not None and self._now() >= payout.arrives_at:
                payout.result = attrs.evolve(payout.result, status=PayoutStatus.PAID)
                payout.arrives_at = None
            return payout.result

    async def reclaim(
        self, provider_payout_id: str, *, destination: str, idempotency_key: str
    ) -> None:
        """Nothing to take back: the simulated provider holds no balances (the fault point
        ``TIMEOUT_ON_RECLAIM`` plays a provider that does not answer)."""
        async with self._lock:
            self._trip(PayoutFaultPoint.TIMEOUT_ON_RECLAIM)
            self._payout(provider_payout_id, destination)

    async def fail_payout(
        self,
        provider_payout_id: str,
        *,
        destination: str,
        failure_code: str = ACCOUNT_CLOSED,
        failure_message: str = _ACCOUNT_CLOSED_MESSAGE,
    ) -> PayoutResult:
        """The bank returns the payout: an IN_TRANSIT or PAID payout becomes FAILED."""
        async with self._lock:
            payout = self._payout(provider_payout_id, destination)
            if payout.result.status not in {PayoutStatus.IN_TRANSIT, PayoutStatus.PAID}:
                raise ProviderRejectedError(
                    f"payout {provider_payout_id} is {payout.result.status.value}: "
                    "only an in-transit or paid payout can fail"
                )
            payout.result = attrs.evolve(
                payout.result,
                status=PayoutStatus.FAILED,
                failure_code=failure_code,
                failure_message=failure_message,
            )
            payout.arrives_at = None
            return payout.result

    async def aclose(self) -> None:
        """Nothing to release: the simulated provider holds no connections."""

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError(f"the clock must return an aware datetime, not {now!r}")
        return now

    async def _pause(self) -> None:
        if self._latency > 0:
            await asyncio.sleep(self._latency)

    def _trip(self, point: PayoutFaultPoint) -> None:
        if self._faults[point] > 0:
            self._faults[point] -= 1
            raise ProviderUnavailableError(f"simulated payout provider timeout ({point.value})")

    def _replay(self, request: PayoutRequest) -> PayoutResult | None:
        stored = self._replies.get(request.idempotency_key)
        if stored is None:
            return None
        first_request, reply = stored
        if first_request != request:
            raise ProviderRejectedError(
                "Keys for idempotent requests can only be used with the same parameters "
                f"they were first used with (idempotency_error, key {request.idempotency_key})"
            )
        return reply

    def _payout(self, provider_payout_id: str, destination: str) -> _Payout:
        payout = self._payouts.get(provider_payout_id)
        if payout is None or payout.destination != destination:
            raise ProviderRejectedError(f"No such payout: '{provider_payout_id}'")
        return payout

    def _create(self, request: PayoutRequest) -> PayoutResult:
        if not request.destination.startswith("acct_"):
            raise ProviderRejectedError(f"No such destination: '{request.destination}'")
        if not request.amount.is_positive:
            raise ProviderRejectedError(f"amount must be positive, not {request.amount}")
        now = self._now()
        payout_id = "po_sim_" + uuid.uuid5(_ID_NAMESPACE, request.idempotency_key).hex
        arrives_at: dt.datetime | None = None
        if request.destination == FAILING_DESTINATION:
            result = PayoutResult(
                provider=self.name,
                provider_payout_id=payout_id,
                status=PayoutStatus.FAILED,
                amount=request.amount,
                failure_code=ACCOUNT_CLOSED,
                failure_message=_ACCOUNT_CLOSED_MESSAGE,
            )
        else:
            arrival = estimate_arrival(request.method, now).latest
            instant = request.method is PayoutMethod.INSTANT
            result = PayoutResult(
                provider=self.name,
                provider_payout_id=payout_id,
                status=PayoutStatus.PAID if instant else PayoutStatus.IN_TRANSIT,
                amount=request.amount,
                arrival_date=arrival.astimezone(dt.UTC).date(),
            )
            arrives_at = None if instant else arrival
        self._payouts[payout_id] = _Payout(request.destination, result, arrives_at)
        self._payouts_created += 1
        return result
