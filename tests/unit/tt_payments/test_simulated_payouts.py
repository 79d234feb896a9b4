"""The simulated payout provider: outcomes by destination and method, arrival on a clock,
Stripe's idempotency, and switchable timeouts.

Every test that takes the ``payouts`` fixture runs twice: on the in-process store and on
the Redis store the service wires (the test servers' Redis, a key prefix per test)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

from tests.conftest import Servers
from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod
from tt_money import USD, Money
from tt_payments.adapters import cache
from tt_payments.adapters.simulator_redis import RedisSimulatorStore
from tt_payments.providers.payouts import PayoutRequest
from tt_payments.providers.ports import PayoutProvider
from tt_payments.providers.simulated_payouts import (
    ACCOUNT_CLOSED,
    FAILING_DESTINATION,
    PayoutFaultPoint,
    SimulatedPayouts,
)
from tt_payments.providers.simulator_store import MemorySimulatorStore
from tt_payments.providers.types import ProviderRejectedError, ProviderUnavailableError

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("00000000-0000-4000-8000-000000000002")
VENUE_ACCOUNT = "acct_1VenueTest"
# Thursday 2026-11-26 10:00 UTC: two business days later is Monday 2026-11-30.
THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def payout_request(
    *,
    minor: int = 50_000,
    method: PayoutMethod = PayoutMethod.STANDARD,
    destination: str = VENUE_ACCOUNT,
    key: str = "payout-key-1",
) -> PayoutRequest:
    return PayoutRequest(
        payout_id=uuid.UUID("00000000-0000-4000-8000-0000000000aa"),
        tenant_id=TENANT,
        venue_id=VENUE,
        destination=destination,
        amount=Money(minor, USD),
        method=method,
        idempotency_key=key,
        metadata={"reason": "weekly"},
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(THURSDAY)


@pytest.fixture
async def redis_client(servers: Servers) -> AsyncIterator[cache.Client]:
    client = cache.create_client(servers.redis_url, timeout_seconds=30)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def payouts(request: pytest.FixtureRequest, clock: Clock) -> SimulatedPayouts:
    if request.param == "memory":
        return SimulatedPayouts(clock=clock)
    client: cache.Client = request.getfixturevalue("redis_client")
    prefix = f"sim-payouts-test-{uuid.uuid4().hex}"
    return SimulatedPayouts(
        store=RedisSimulatorStore(client, ttl_seconds=600, prefix=prefix), clock=clock
    )


def test_it_implements_the_payout_provider_port(payouts: SimulatedPayouts) -> None:
    port: PayoutProvider = payouts
    assert port.name == "simulated"


async def test_a_standard_payout_is_in_transit_until_its_arrival_moment(
    payouts: SimulatedPayouts, clock: Clock
) -> None:
    created = await payouts.create_payout(payout_request())

    assert created.status is PayoutStatus.IN_TRANSIT
    assert created.provider == "simulated"
    assert created.provider_payout_id.startswith("po_sim_")
    assert created.amount == Money(50_000, USD)
    assert created.arrival_date == dt.date(2026, 11, 30)
    assert (created.failure_code, created.failure_message) == (None, None)

    clock.now = dt.datetime(2026, 11, 30, 9, 59, 59, tzinfo=dt.UTC)
    before = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert before.status is PayoutStatus.IN_TRANSIT

    clock.now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    arrived = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert arrived == attrs.evolve(created, status=PayoutStatus.PAID)

    clock.now = THURSDAY  # a clock wound back does not undo a paid payout
    again = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert again.status is PayoutStatus.PAID


async def test_an_instant_payout_is_paid_when_created(payouts: SimulatedPayouts) -> None:
    created = await payouts.create_payout(payout_request(method=PayoutMethod.INSTANT))

    assert created.status is PayoutStatus.PAID
    assert created.arrival_date == dt.date(2026, 11, 26)
    assert (
        await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
        == created
    )


async def test_an_instant_payout_late_in_the_day_arrives_the_next_day(clock: Clock) -> None:
    clock.now = dt.datetime(2026, 11, 26, 23, 45, tzinfo=dt.UTC)
    created = await SimulatedPayouts(clock=clock).create_payout(
        payout_request(method=PayoutMethod.INSTANT)
    )
    assert created.arrival_date == dt.date(2026, 11, 27)


@pytest.mark.parametrize("method", list(PayoutMethod))
async def test_a_payout_to_the_failing_account_fails_as_account_closed(
    payouts: SimulatedPayouts, method: PayoutMethod
) -> None:
    created = await payouts.create_payout(
        payout_request(destination=FAILING_DESTINATION, method=method)
    )

    assert created.status is PayoutStatus.FAILED
    assert created.failure_code == ACCOUNT_CLOSED == "account_closed"
    assert created.failure_message == "The bank account has been closed."
    assert created.arrival_date is None
    assert payouts.payouts_created == 1
    assert (
        await payouts.retrieve_payout(created.provider_payout_id, destination=FAILING_DESTINATION)
        == created
    )


async def test_the_same_key_returns_the_same_payout_and_creates_nothing(
    payouts: SimulatedPayouts,
) -> None:
    first = await payouts.create_payout(payout_request())
    again = await payouts.create_payout(payout_request())

    assert again == first
    assert payouts.payouts_created == 1
    assert await payouts.payout_id_for("payout-key-1") == first.provider_payout_id
    assert await payouts.payout_id_for("never-used") is None


async def test_concurrent_calls_with_one_key_create_one_payout() -> None:
    slow = SimulatedPayouts(latency=0.01)
    results = await asyncio.gather(*(slow.create_payout(payout_request()) for _ in range(20)))
    assert len({result.provider_payout_id for result in results}) == 1
    assert slow.payouts_created == 1


async def test_ids_are_derived_from_the_key(payouts: SimulatedPayouts) -> None:
    one = await payouts.create_payout(payout_request(key="k-1"))
    two = await payouts.create_payout(payout_request(key="k-2"))
    elsewhere = await SimulatedPayouts().create_payout(payout_request(key="k-1"))

    assert one.provider_payout_id != two.provider_payout_id
    assert elsewhere.provider_payout_id == one.provider_payout_id
    assert payouts.payouts_created == 2


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": Money(50_001, USD)},
        {"method": PayoutMethod.INSTANT},
        {"destination": "acct_other"},
        {"payout_id": uuid.UUID(int=7)},
    ],
    ids=["amount", "method", "destination", "payout-id"],
)
async def test_the_same_key_with_other_parameters_is_rejected(
    payouts: SimulatedPayouts, changed: dict[str, Any]
) -> None:
    await payouts.create_payout(payout_request())

    with pytest.raises(ProviderRejectedError, match="idempotency_error"):
        await payouts.create_payout(attrs.evolve(payout_request(), **changed))
    assert payouts.payouts_created == 1


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (payout_request(destination="ba_123"), "No such destination"),
        (payout_request(minor=0), "must be positive"),
        (payout_request(minor=-100), "must be positive"),
    ],
    ids=["not-an-account", "zero", "negative"],
)
async def test_bad_requests_are_rejected_and_not_remembered(
    payouts: SimulatedPayouts, request_: PayoutRequest, message: str
) -> None:
    with pytest.raises(ProviderRejectedError, match=message):
        await payouts.create_payout(request_)
    assert payouts.payouts_created == 0
    assert await payouts.payout_id_for(request_.idempotency_key) is None
    # The key is free again: a good request under it goes through.
    good = await payouts.create_payout(payout_request(key=request_.idempotency_key))
    assert good.status is PayoutStatus.IN_TRANSIT


async def test_a_payout_is_known_only_to_its_own_account(payouts: SimulatedPayouts) -> None:
    created = await payouts.create_payout(payout_request())

    with pytest.raises(ProviderRejectedError, match="No such payout"):
        await payouts.retrieve_payout(created.provider_payout_id, destination="acct_other")
    with pytest.raises(ProviderRejectedError, match="No such payout"):
        await payouts.retrieve_payout("po_sim_unknown", destination=VENUE_ACCOUNT)


async def test_a_timeout_before_the_payout_records_nothing(payouts: SimulatedPayouts) -> None:
    payouts.fail_next(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)

    with pytest.raises(ProviderUnavailableError, match="timeout_before_payout"):
        await payouts.create_payout(payout_request())
    assert payouts.payouts_created == 0
    assert await payouts.payout_id_for("payout-key-1") is None

    retried = await payouts.create_payout(payout_request())
    assert retried.status is PayoutStatus.IN_TRANSIT
    assert payouts.payouts_created == 1


async def test_a_lost_response_is_recovered_by_a_retry_with_the_same_key(
    payouts: SimulatedPayouts,
) -> None:
    payouts.fail_next(PayoutFaultPoint.TIMEOUT_AFTER_PAYOUT, times=2)

    for _ in range(2):
        with pytest.raises(ProviderUnavailableError, match="timeout_after_payout"):
            await payouts.create_payout(payout_request())
    created_id = await payouts.payout_id_for("payout-key-1")
    retried = await payouts.create_payout(payout_request())

    assert retried.provider_payout_id == created_id
    assert payouts.payouts_created == 1


async def test_a_retrieve_can_time_out(payouts: SimulatedPayouts) -> None:
    created = await payouts.create_payout(payout_request())
    payouts.fail_next(PayoutFaultPoint.TIMEOUT_ON_RETRIEVE)

    with pytest.raises(ProviderUnavailableError, match="timeout_on_retrieve"):
        await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert (
        await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    ).status is PayoutStatus.IN_TRANSIT


@pytest.mark.parametrize("method", list(PayoutMethod))
async def test_a_bank_can_return_a_payout_later(
    payouts: SimulatedPayouts, method: PayoutMethod
) -> None:
    created = await payouts.create_payout(payout_request(method=method))

    failed = await payouts.fail_payout(
        created.provider_payout_id, destination=VENUE_ACCOUNT, failure_code="no_account"
    )

    assert failed.status is PayoutStatus.FAILED
    assert failed.failure_code == "no_account"
    assert (
        await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
        == failed
    )
    with pytest.raises(ProviderRejectedError, match="only an in-transit or paid payout"):
        await payouts.fail_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)


async def test_a_returned_standard_payout_does_not_arrive_later(
    payouts: SimulatedPayouts, clock: Clock
) -> None:
    created = await payouts.create_payout(payout_request())
    await payouts.fail_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)

    clock.now += dt.timedelta(days=10)
    later = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert later.status is PayoutStatus.FAILED


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="latency"):
        SimulatedPayouts(latency=-1)
    with pytest.raises(ValueError, match="times"):
        SimulatedPayouts().fail_next(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT, times=0)


async def test_a_naive_clock_is_refused() -> None:
    payouts = SimulatedPayouts(clock=lambda: dt.datetime(2026, 11, 26, 10, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        await payouts.create_payout(payout_request())


async def test_aclose_releases_nothing_and_can_be_called(payouts: SimulatedPayouts) -> None:
    await payouts.aclose()


async def test_the_in_process_store_forgets_the_oldest_payouts_past_its_bound() -> None:
    # Given payouts whose store keeps 10 documents (each payout writes 2: its reply under
    # the key, and the payout)
    store = MemorySimulatorStore(max_documents=10)
    payouts = SimulatedPayouts(store=store, clock=lambda: THURSDAY)

    # When 50 payouts are made
    created = [await payouts.create_payout(payout_request(key=f"k-{i}")) for i in range(50)]

    # Then the store holds no more than its bound, and the newest payout is known
    assert len(store) == 10
    newest = created[-1].provider_payout_id
    latest = await payouts.retrieve_payout(newest, destination=VENUE_ACCOUNT)
    assert latest.status is PayoutStatus.IN_TRANSIT
    # and the oldest is forgotten, as after a restart
    with pytest.raises(ProviderRejectedError, match="No such payout"):
        await payouts.retrieve_payout(created[0].provider_payout_id, destination=VENUE_ACCOUNT)
    assert payouts.payouts_created == 50


async def test_processes_sharing_the_redis_store_see_one_payout_provider(
    redis_client: cache.Client, clock: Clock
) -> None:
    # Given the CLI's and the worker's payout providers on one Redis store
    prefix = f"sim-payouts-test-{uuid.uuid4().hex}"
    cli = SimulatedPayouts(
        store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix), clock=clock
    )
    worker = SimulatedPayouts(
        store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix), clock=clock
    )

    # When the CLI creates a standard payout and the worker looks after its arrival moment
    created = await cli.create_payout(payout_request())
    clock.now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    arrived = await worker.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)

    # Then the worker finds it paid, and the CLI sees the same state, even with its clock back
    assert arrived.status is PayoutStatus.PAID
    clock.now = THURSDAY
    seen = await cli.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)
    assert seen.status is PayoutStatus.PAID
    # and a retry of the CLI's request from the worker replays it, creating nothing
    assert await worker.create_payout(payout_request()) == created
    assert (cli.payouts_created, worker.payouts_created) == (1, 0)
    # and each document expires: Redis holds the payouts for the retention, no longer
    ttl = await redis_client.ttl(f"{prefix}:po:{created.provider_payout_id}")
    assert 0 < ttl <= 600


async def test_concurrent_calls_with_one_key_from_many_processes_create_one_payout(
    redis_client: cache.Client,
) -> None:
    # Given 20 processes' payout providers on one Redis store
    prefix = f"sim-payouts-test-{uuid.uuid4().hex}"
    processes = [
        SimulatedPayouts(store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix))
        for _ in range(20)
    ]

    # When each sends the same request at once
    results = await asyncio.gather(*(each.create_payout(payout_request()) for each in processes))

    # Then one payout exists, and every process got it
    assert len({result.provider_payout_id for result in results}) == 1
    assert sum(each.payouts_created for each in processes) == 1
