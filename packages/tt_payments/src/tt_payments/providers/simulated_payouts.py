"""The simulated payout provider: Stripe Connect payouts, moving no money.

``SimulatedPayouts`` (name ``"simulated"``) implements the ``PayoutProvider`` port for the
embedded default and for tests. It moves no money. Its state lives in a ``SimulatorStore``,
as the simulated card processor's does: by default in this process, at most
``MemorySimulatorStore.max_documents`` documents (the oldest forgotten first, so memory
stays flat; a forgotten payout answers "No such payout", as after a restart), or shared
through Redis (``RedisSimulatorStore``, what the service wires, so a payout that the CLI
created is found by the server and the worker for ``TT_SIMULATED_RETAIN_HOURS``). Time
comes from ``clock`` (default: the system clock, UTC), which must return timezone-aware
datetimes, so tests can move it.

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
key are serialised by the store, so the second replays the first.

Fault points (``fail_next(point, times=1)``), each firing on the next ``times`` calls of
its operation, replays included:

- ``TIMEOUT_BEFORE_PAYOUT``: ``ProviderUnavailableError``, nothing recorded (the request
  never arrived);
- ``TIMEOUT_AFTER_PAYOUT``: the payout is created and recorded under its key, then
  ``ProviderUnavailableError`` (the lost response); a retry with the key gets the payout;
- ``TIMEOUT_ON_RETRIEVE``: ``retrieve_payout`` raises ``ProviderUnavailableError``.

``payouts_created`` counts distinct payouts this object created, failed ones included (a
replay adds nothing); faults and counters belong to the object, not to the shared store.
Ids are deterministic: ``po_sim_`` and the hex of a UUID5 of the idempotency key.
``latency`` (seconds) is awaited before every call, outside the store's lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import attrs
from cattrs.preconf.json import make_converter

from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod, estimate_arrival
from tt_money import Money
from tt_payments.clock import utcnow
from tt_payments.providers.payouts import PayoutRequest, PayoutResult
from tt_payments.providers.simulator_store import MemorySimulatorStore, SimulatorStore
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

# The store's documents: ``payout-key:<idempotency key>`` the first request and its reply,
# ``po:<id>`` a payout and its current state.
_REPLY, _PAYOUT = "payout-key:", "po:"

_json = make_converter()
_json.register_unstructure_hook(Money, lambda money: [money.minor, money.currency.code])
_json.register_structure_hook(Money, lambda value, _: Money.of(value[0], value[1]))
_json.register_unstructure_hook(uuid.UUID, str)


class PayoutFaultPoint(enum.Enum):
    """Where ``fail_next`` makes the simulated payout provider stop answering."""

    TIMEOUT_BEFORE_PAYOUT = "timeout_before_payout"
    TIMEOUT_AFTER_PAYOUT = "timeout_after_payout"
    TIMEOUT_ON_RECLAIM = "timeout_on_reclaim"
    TIMEOUT_ON_RETRIEVE = "timeout_on_retrieve"


@attrs.frozen
class _Payout:
    destination: str
    result: PayoutResult
    arrives_at: dt.datetime | None
    """When an IN_TRANSIT payout becomes PAID; None when nothing is due."""


class SimulatedPayouts:
    """A payout provider with deterministic outcomes and switchable faults, its state in a
    ``SimulatorStore`` (this process's memory, bounded, unless one is given)."""

    name = "simulated"

    def __init__(
        self,
        *,
        store: SimulatorStore | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        latency: float = 0.0,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must not be negative, not {latency!r}")
        self._store: SimulatorStore = store if store is not None else MemorySimulatorStore()
        self._clock = clock
        self._latency = latency
        self._faults: Counter[PayoutFaultPoint] = Counter()
        self._payouts_created = 0

    @property
    def payouts_created(self) -> int:
        """Distinct payouts this object created, failed ones included; replays add nothing."""
        return self._payouts_created

    def fail_next(self, point: PayoutFaultPoint, times: int = 1) -> None:
        """Make the next ``times`` calls that pass ``point`` raise ``ProviderUnavailableError``."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive int, not {times!r}")
        self._faults[point] += times

    async def payout_id_for(self, idempotency_key: str) -> str | None:
        """The id of the payout created under ``idempotency_key``, if one was."""
        document = await self._store.get(_REPLY + idempotency_key)
        if document is None:
            return None
        reply = _json.structure(json.loads(document)["reply"], PayoutResult)
        return reply.provider_payout_id

    async def create_payout(self, request: PayoutRequest) -> PayoutResult:
        """Create a simulated payout (see the module docstring for the outcomes).

        Side effects: records the payout and its reply under ``request.idempotency_key``
        and counts it in ``payouts_created``; no money moves. Idempotent: the same key
        and request return the first reply and create nothing.
        """
        await self._pause()
        self._trip(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)
        answer: list[tuple[PayoutResult, bool]] = []  # the reply, and whether it is new

        def create(found: Sequence[str | None]) -> Mapping[str, str]:
            first = _replay(found[0], request)
            if first is not None:
                answer[:] = [(first, False)]
                return {}
            payout = self._new_payout(request)
            answer[:] = [(payout.result, True)]
            return {
                _REPLY + request.idempotency_key: _reply_document(request, payout.result),
                _PAYOUT + payout.result.provider_payout_id: _json.dumps(payout),
            }

        await self._store.update([_REPLY + request.idempotency_key], create)
        reply, created = answer[0]
        if created:
            self._payouts_created += 1
        self._trip(PayoutFaultPoint.TIMEOUT_AFTER_PAYOUT)
        return reply

    async def retrieve_payout(self, provider_payout_id: str, *, destination: str) -> PayoutResult:
        """The payout's current state: a STANDARD payout whose arrival moment has come is
        PAID from now on. ``ProviderRejectedError`` for an id ``destination`` does not hold."""
        await self._pause()
        self._trip(PayoutFaultPoint.TIMEOUT_ON_RETRIEVE)
        now = self._now()

        def arrive(payout: _Payout) -> _Payout:
            if payout.arrives_at is None or now < payout.arrives_at:
                return payout
            paid = attrs.evolve(payout.result, status=PayoutStatus.PAID)
            return attrs.evolve(payout, result=paid, arrives_at=None)

        return await self._change(provider_payout_id, destination, arrive)

    async def reclaim(
        self, provider_payout_id: str, *, destination: str, idempotency_key: str
    ) -> None:
        """Nothing to take back: the simulated provider holds no balances (the fault point
        ``TIMEOUT_ON_RECLAIM`` plays a provider that does not answer)."""
        self._trip(PayoutFaultPoint.TIMEOUT_ON_RECLAIM)
        _known_payout(
            await self._store.get(_PAYOUT + provider_payout_id), provider_payout_id, destination
        )

    async def fail_payout(
        self,
        provider_payout_id: str,
        *,
        destination: str,
        failure_code: str = ACCOUNT_CLOSED,
        failure_message: str = _ACCOUNT_CLOSED_MESSAGE,
    ) -> PayoutResult:
        """The bank returns the payout: an IN_TRANSIT or PAID payout becomes FAILED."""

        def fail(payout: _Payout) -> _Payout:
            if payout.result.status not in {PayoutStatus.IN_TRANSIT, PayoutStatus.PAID}:
                raise ProviderRejectedError(
                    f"payout {provider_payout_id} is {payout.result.status.value}: "
                    "only an in-transit or paid payout can fail"
                )
            failed = attrs.evolve(
                payout.result,
                status=PayoutStatus.FAILED,
                failure_code=failure_code,
                failure_message=failure_message,
            )
            return attrs.evolve(payout, result=failed, arrives_at=None)

        return await self._change(provider_payout_id, destination, fail)

    async def aclose(self) -> None:
        """Nothing to release: the store's connections belong to whoever made it."""

    async def _change(
        self, provider_payout_id: str, destination: str, change: Callable[[_Payout], _Payout]
    ) -> PayoutResult:
        """Apply ``change`` to the payout atomically; its result after the change."""
        after: list[PayoutResult] = []

        def write(found: Sequence[str | None]) -> Mapping[str, str]:
            payout = _known_payout(found[0], provider_payout_id, destination)
            changed = change(payout)
            after[:] = [changed.result]
            if changed == payout:
                return {}
            return {_PAYOUT + provider_payout_id: _json.dumps(changed)}

        await self._store.update([_PAYOUT + provider_payout_id], write)
        return after[0]

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

    def _new_payout(self, request: PayoutRequest) -> _Payout:
        if not request.destination.startswith("acct_"):
            raise ProviderRejectedError(f"No such destination: '{request.destination}'")
        if not request.amount.is_positive:
            raise ProviderRejectedError(f"amount must be positive, not {request.amount}")
        now = self._now()
        payout_id = "po_sim_" + uuid.uuid5(_ID_NAMESPACE, request.idempotency_key).hex
        if request.destination == FAILING_DESTINATION:
            failed = PayoutResult(
                provider=self.name,
                provider_payout_id=payout_id,
                status=PayoutStatus.FAILED,
                amount=request.amount,
                failure_code=ACCOUNT_CLOSED,
                failure_message=_ACCOUNT_CLOSED_MESSAGE,
            )
            return _Payout(request.destination, failed, None)
        arrival = estimate_arrival(request.method, now).latest
        instant = request.method is PayoutMethod.INSTANT
        result = PayoutResult(
            provider=self.name,
            provider_payout_id=payout_id,
            status=PayoutStatus.PAID if instant else PayoutStatus.IN_TRANSIT,
            amount=request.amount,
            arrival_date=arrival.astimezone(dt.UTC).date(),
        )
        return _Payout(request.destination, result, None if instant else arrival)


def _known_payout(document: str | None, provider_payout_id: str, destination: str) -> _Payout:
    payout = None if document is None else _json.loads(document, _Payout)
    if payout is None or payout.destination != destination:
        raise ProviderRejectedError(f"No such payout: '{provider_payout_id}'")
    return payout


def _reply_document(request: PayoutRequest, reply: PayoutResult) -> str:
    return json.dumps({"request": _fingerprint(request), "reply": _json.unstructure(reply)})


def _replay(document: str | None, request: PayoutRequest) -> PayoutResult | None:
    """The first reply under the request's key, or None when the key is new."""
    if document is None:
        return None
    stored = json.loads(document)
    if stored["request"] != _fingerprint(request):
        raise ProviderRejectedError(
            "Keys for idempotent requests can only be used with the same parameters "
            f"they were first used with (idempotency_error, key {request.idempotency_key})"
        )
    return _json.structure(stored["reply"], PayoutResult)


def _fingerprint(request: PayoutRequest) -> str:
    return json.dumps(_json.unstructure(request), sort_keys=True)
