"""The simulated processor behaves like Stripe's test mode, and its faults are switchable.

Every test that takes the ``provider`` fixture runs twice: on the in-process store and on
the Redis store the served processor uses (the test servers' Redis, a key prefix per test).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import attrs
import pytest

from tests.conftest import Servers
from tt_money import EUR, USD, Money
from tt_payments.adapters import cache
from tt_payments.adapters.simulator_redis import RedisSimulatorStore
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_payments.providers.simulator_store import MemorySimulatorStore
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    ProviderRejectedError,
    ProviderUnavailableError,
    RefundRequest,
    RefundStatus,
)

TEN_DOLLARS = Money(1000, USD)


def charge_request(
    payment_method_id: str = "pm_card_visa",
    *,
    amount: Money = TEN_DOLLARS,
    key: str = "charge-key-1",
    require_three_d_secure: bool = False,
) -> ChargeRequest:
    return ChargeRequest(
        amount=amount,
        payment_method_id=payment_method_id,
        idempotency_key=key,
        metadata={"order": "o-1"},
        require_three_d_secure=require_three_d_secure,
    )


def refund_request(charge: Charge, minor: int, key: str) -> RefundRequest:
    return RefundRequest(
        provider_payment_id=charge.provider_payment_id,
        amount=Money(minor, charge.amount.currency),
        idempotency_key=key,
        reason="requested_by_customer",
    )


@pytest.fixture(params=["memory", "redis"])
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[SimulatedProvider]:
    if request.param == "memory":
        yield SimulatedProvider(store=MemorySimulatorStore())
        return
    servers = request.getfixturevalue("servers")
    client = cache.create_client(servers.redis_url, timeout_seconds=30)
    try:
        store = RedisSimulatorStore(client, ttl_seconds=600, prefix=f"sim-test-{uuid.uuid4().hex}")
        yield SimulatedProvider(store=store)
    finally:
        await client.aclose()


def test_it_implements_the_payment_provider_port(provider: SimulatedProvider) -> None:
    port: PaymentProvider = provider
    assert port.name == "simulated"


@pytest.mark.parametrize(
    "payment_method_id", ["4242424242424242", "pm_card_visa", "pm_sim_buyer_000042"]
)
async def test_a_good_card_is_charged(provider: SimulatedProvider, payment_method_id: str) -> None:
    charge = await provider.charge(charge_request(payment_method_id))

    assert charge.status is ChargeStatus.SUCCEEDED
    assert charge.amount == TEN_DOLLARS
    assert charge.provider == "simulated"
    assert charge.provider_payment_id.startswith("pi_sim_")
    assert charge.decline_code is None
    assert charge.client_secret is None
    assert provider.charges_created == 1


GENERIC_DECLINE = ("generic_decline", "Your card was declined.")
INSUFFICIENT_FUNDS = ("insufficient_funds", "Your card has insufficient funds.")


@pytest.mark.parametrize(
    ("payment_method_id", "decline"),
    [
        ("4000000000000002", GENERIC_DECLINE),
        ("pm_card_chargeDeclined", GENERIC_DECLINE),
        ("pm_card_visa_chargeDeclined", GENERIC_DECLINE),
        ("4000000000000341", GENERIC_DECLINE),
        ("pm_card_chargeCustomerFail", GENERIC_DECLINE),
        ("4000000000009995", INSUFFICIENT_FUNDS),
        ("pm_card_chargeDeclinedInsufficientFunds", INSUFFICIENT_FUNDS),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", INSUFFICIENT_FUNDS),
    ],
)
async def test_a_declining_card_is_a_declined_charge_with_its_code(
    provider: SimulatedProvider, payment_method_id: str, decline: tuple[str, str]
) -> None:
    charge = await provider.charge(charge_request(payment_method_id))

    assert charge.status is ChargeStatus.DECLINED
    assert (charge.decline_code, charge.failure_message) == decline
    assert await provider.retrieve(charge.provider_payment_id) == charge


@pytest.mark.parametrize(
    "payment_method_id", ["4000002500003155", "pm_card_authenticationRequired"]
)
async def test_a_three_d_secure_card_requires_action_with_a_client_secret(
    provider: SimulatedProvider, payment_method_id: str
) -> None:
    charge = await provider.charge(charge_request(payment_method_id))

    assert charge.status is ChargeStatus.REQUIRES_ACTION
    assert charge.client_secret is not None
    assert charge.client_secret.startswith(f"{charge.provider_payment_id}_secret_")


async def test_asking_for_three_d_secure_makes_a_good_card_require_action(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request("pm_card_visa", require_three_d_secure=True))

    assert charge.status is ChargeStatus.REQUIRES_ACTION
    assert charge.client_secret is not None


async def test_asking_for_three_d_secure_does_not_save_a_declining_card(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request("4000000000000002", require_three_d_secure=True))

    assert charge.status is ChargeStatus.DECLINED


async def test_an_unknown_payment_method_is_rejected_and_creates_nothing(
    provider: SimulatedProvider,
) -> None:
    with pytest.raises(ProviderRejectedError, match="No such PaymentMethod"):
        await provider.charge(charge_request("pm_card_unknown"))
    with pytest.raises(ProviderRejectedError, match="No such PaymentMethod"):
        await provider.charge(charge_request("pm_simulated"))  # not the pm_sim_ prefix

    assert provider.charges_created == 0


async def test_a_zero_amount_is_rejected(provider: SimulatedProvider) -> None:
    with pytest.raises(ProviderRejectedError, match="positive"):
        await provider.charge(charge_request(amount=Money(0, USD)))


async def test_finishing_three_d_secure_makes_the_payment_succeed(
    provider: SimulatedProvider,
) -> None:
    pending = await provider.charge(charge_request("pm_card_authenticationRequired"))

    finished = await provider.complete_action(pending.provider_payment_id, succeed=True)

    assert finished.status is ChargeStatus.SUCCEEDED
    assert finished.client_secret is None
    assert await provider.retrieve(pending.provider_payment_id) == finished


async def test_failing_three_d_secure_declines_the_payment(provider: SimulatedProvider) -> None:
    pending = await provider.charge(charge_request("4000002500003155"))

    failed = await provider.complete_action(pending.provider_payment_id, succeed=False)

    assert failed.status is ChargeStatus.DECLINED
    assert failed.decline_code == "payment_intent_authentication_failure"
    assert (await provider.retrieve(pending.provider_payment_id)).status is ChargeStatus.DECLINED


async def test_only_a_payment_waiting_for_the_buyer_can_finish_three_d_secure(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request("pm_card_visa"))

    with pytest.raises(ProviderRejectedError, match="requires_action"):
        await provider.complete_action(charge.provider_payment_id, succeed=True)


async def test_the_same_key_and_parameters_replay_the_charge_without_charging_again(
    provider: SimulatedProvider,
) -> None:
    first = await provider.charge(charge_request(key="k-replay"))

    again = await provider.charge(charge_request(key="k-replay"))

    assert again == first
    assert provider.charges_created == 1


async def test_a_replayed_decline_is_the_same_decline(provider: SimulatedProvider) -> None:
    first = await provider.charge(charge_request("4000000000009995", key="k-decline"))

    again = await provider.charge(charge_request("4000000000009995", key="k-decline"))

    assert again == first
    assert provider.charges_created == 1


async def test_a_replay_returns_the_first_answer_and_retrieve_the_current_state(
    provider: SimulatedProvider,
) -> None:
    pending = await provider.charge(charge_request("pm_card_authenticationRequired", key="k-3ds"))
    await provider.complete_action(pending.provider_payment_id, succeed=True)

    replay = await provider.charge(charge_request("pm_card_authenticationRequired", key="k-3ds"))

    assert replay == pending
    assert (await provider.retrieve(pending.provider_payment_id)).status is ChargeStatus.SUCCEEDED


async def test_different_keys_make_different_payments(provider: SimulatedProvider) -> None:
    first = await provider.charge(charge_request(key="k-a"))
    second = await provider.charge(charge_request(key="k-b"))

    assert first.provider_payment_id != second.provider_payment_id
    assert provider.charges_created == 2


async def test_ids_are_derived_from_the_idempotency_key() -> None:
    one = await SimulatedProvider().charge(charge_request(key="k-same"))
    other = await SimulatedProvider().charge(charge_request(key="k-same"))

    assert one.provider_payment_id == other.provider_payment_id


@pytest.mark.parametrize(
    "changed",
    [
        charge_request(key="k-reuse", amount=Money(1001, USD)),
        charge_request(key="k-reuse", amount=Money(1000, EUR)),
        charge_request("4242424242424242", key="k-reuse"),
        charge_request(key="k-reuse", require_three_d_secure=True),
        attrs.evolve(charge_request(key="k-reuse"), metadata={"order": "o-2"}),
    ],
    ids=["amount", "currency", "payment-method", "three-d-secure", "metadata"],
)
async def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    provider: SimulatedProvider, changed: ChargeRequest
) -> None:
    await provider.charge(charge_request(key="k-reuse"))

    with pytest.raises(ProviderRejectedError, match="idempotency_error"):
        await provider.charge(changed)

    assert provider.charges_created == 1


async def test_a_charge_key_cannot_be_reused_for_a_refund(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request(key="k-shared"))

    with pytest.raises(ProviderRejectedError, match="idempotency_error"):
        await provider.refund(refund_request(charge, 100, key="k-shared"))

    assert provider.refunds_created == 0


async def test_concurrent_calls_with_one_key_charge_once(provider: SimulatedProvider) -> None:
    charges = await asyncio.gather(
        *(provider.charge(charge_request(key="k-race")) for _ in range(50))
    )

    assert {charge.provider_payment_id for charge in charges} == {charges[0].provider_payment_id}
    assert provider.charges_created == 1


async def test_a_timeout_before_the_charge_records_nothing(provider: SimulatedProvider) -> None:
    provider.fail_next(FaultPoint.TIMEOUT_BEFORE_CHARGE)

    with pytest.raises(ProviderUnavailableError):
        await provider.charge(charge_request(key="k-before"))
    assert provider.charges_created == 0

    retried = await provider.charge(charge_request(key="k-before"))
    assert retried.status is ChargeStatus.SUCCEEDED
    assert provider.charges_created == 1


async def test_a_timeout_after_the_charge_keeps_it_and_the_retry_gets_it_back(
    provider: SimulatedProvider,
) -> None:
    provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)

    with pytest.raises(ProviderUnavailableError):
        await provider.charge(charge_request(key="k-after"))
    assert provider.charges_created == 1

    retried = await provider.charge(charge_request(key="k-after"))
    assert retried.status is ChargeStatus.SUCCEEDED
    assert await provider.retrieve(retried.provider_payment_id) == retried
    assert provider.charges_created == 1


async def test_a_fault_fires_the_requested_number_of_times(provider: SimulatedProvider) -> None:
    provider.fail_next(FaultPoint.TIMEOUT_BEFORE_CHARGE, times=2)

    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            await provider.charge(charge_request())

    assert (await provider.charge(charge_request())).status is ChargeStatus.SUCCEEDED


def test_a_fault_must_fire_at_least_once(provider: SimulatedProvider) -> None:
    with pytest.raises(ValueError, match="positive"):
        provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE, times=0)


async def test_partial_refunds_up_to_the_amount_charged_succeed(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request())

    first = await provider.refund(refund_request(charge, 400, key="r-1"))
    rest = await provider.refund(refund_request(charge, 600, key="r-2"))

    assert first.status is RefundStatus.SUCCEEDED
    assert first.provider_refund_id.startswith("re_sim_")
    assert first.provider_payment_id == charge.provider_payment_id
    assert (first.amount, rest.amount) == (Money(400, USD), Money(600, USD))
    assert await provider.retrieve_refund(rest.provider_refund_id) == rest
    assert provider.refunds_created == 2


async def test_a_refund_larger_than_what_remains_is_refused(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request())
    await provider.refund(refund_request(charge, 700, key="r-1"))

    with pytest.raises(ProviderRejectedError, match="greater than unrefunded"):
        await provider.refund(refund_request(charge, 301, key="r-2"))

    assert (await provider.refund(refund_request(charge, 300, key="r-3"))).amount == Money(300, USD)
    assert provider.refunds_created == 2


async def test_concurrent_refunds_never_exceed_the_charge(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request())

    results = await asyncio.gather(
        *(provider.refund(refund_request(charge, 30, key=f"r-{i}")) for i in range(50)),
        return_exceptions=True,
    )

    assert sum(1 for result in results if not isinstance(result, BaseException)) == 33
    assert all(
        isinstance(result, ProviderRejectedError)
        for result in results
        if isinstance(result, BaseException)
    )
    assert provider.refunds_created == 33


async def test_a_refund_replay_returns_the_same_refund(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request())
    first = await provider.refund(refund_request(charge, 1000, key="r-full"))

    again = await provider.refund(refund_request(charge, 1000, key="r-full"))

    assert again == first
    assert provider.refunds_created == 1


async def test_a_refund_key_reused_with_another_amount_is_an_idempotency_error(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request())
    await provider.refund(refund_request(charge, 100, key="r-reuse"))

    with pytest.raises(ProviderRejectedError, match="idempotency_error"):
        await provider.refund(refund_request(charge, 200, key="r-reuse"))


@pytest.mark.parametrize("payment_method_id", ["4000000000000002", "4000002500003155"])
async def test_only_a_succeeded_payment_can_be_refunded(
    provider: SimulatedProvider, payment_method_id: str
) -> None:
    charge = await provider.charge(charge_request(payment_method_id))

    with pytest.raises(ProviderRejectedError, match="only a succeeded payment"):
        await provider.refund(refund_request(charge, 100, key="r-1"))


async def test_a_refund_in_another_currency_is_refused(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request())

    with pytest.raises(ProviderRejectedError, match="refund in EUR"):
        await provider.refund(
            RefundRequest(
                provider_payment_id=charge.provider_payment_id,
                amount=Money(100, EUR),
                idempotency_key="r-eur",
            )
        )


async def test_a_timeout_after_a_refund_keeps_it_and_the_retry_gets_it_back(
    provider: SimulatedProvider,
) -> None:
    charge = await provider.charge(charge_request())
    provider.fail_next(FaultPoint.TIMEOUT_AFTER_REFUND)

    with pytest.raises(ProviderUnavailableError):
        await provider.refund(refund_request(charge, 1000, key="r-lost"))

    retried = await provider.refund(refund_request(charge, 1000, key="r-lost"))
    assert retried.amount == Money(1000, USD)
    assert provider.refunds_created == 1


async def test_a_timeout_before_a_refund_records_nothing(provider: SimulatedProvider) -> None:
    charge = await provider.charge(charge_request())
    provider.fail_next(FaultPoint.TIMEOUT_BEFORE_REFUND)

    with pytest.raises(ProviderUnavailableError):
        await provider.refund(refund_request(charge, 1000, key="r-never"))

    assert provider.refunds_created == 0


async def test_an_unknown_payment_is_rejected(provider: SimulatedProvider) -> None:
    with pytest.raises(ProviderRejectedError, match="No such payment_intent"):
        await provider.retrieve("pi_sim_missing")


async def test_an_unknown_refund_is_rejected(provider: SimulatedProvider) -> None:
    with pytest.raises(ProviderRejectedError, match="No such refund"):
        await provider.retrieve_refund("re_sim_missing")


class HeldSleep:
    """Stands in for ``asyncio.sleep``: records each delay asked for and holds every
    sleeper until ``release()``, counting how many are asleep at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.asleep = 0
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        async with self._changed:
            self.asleep += 1
            self._changed.notify_all()
        try:
            await self._released.wait()
        finally:
            self.asleep -= 1

    async def until_asleep(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.asleep >= count)

    def release(self) -> None:
        self._released.set()


async def test_latency_delays_calls_without_serialising_them() -> None:
    # Given a processor with 50 ms of latency, slept through a sleep we hold
    sleep = HeldSleep()
    provider = SimulatedProvider(latency=0.05, sleep=sleep)

    # When 20 charges are made at once
    calls = asyncio.gather(*(provider.charge(charge_request(key=f"k-{i}")) for i in range(20)))
    try:
        # Then all 20 wait out the latency at the same time (a lock around it would let
        # one in at a time: this would never come, and the bound, only then, would fail)
        await asyncio.wait_for(sleep.until_asleep(20), 30)
        # and none goes past its latency before it is over
        assert provider.charges_created == 0
    finally:
        sleep.release()
        charges = await asyncio.wait_for(calls, 30)

    # And each waited the configured latency, once, before creating its payment
    assert sleep.delays == [0.05] * 20
    assert [charge.status for charge in charges] == [ChargeStatus.SUCCEEDED] * 20
    assert provider.charges_created == 20


async def test_the_in_process_store_forgets_the_oldest_payments_past_its_bound() -> None:
    # Given a processor whose store keeps 10 documents (each payment writes 2: its reply
    # under the key, and the payment)
    store = MemorySimulatorStore(max_documents=10)
    provider = SimulatedProvider(store=store)

    # When 50 payments are made
    charges = [await provider.charge(charge_request(key=f"k-{i}")) for i in range(50)]

    # Then the store holds no more than its bound, the newest payments are known
    assert len(store) == 10
    latest = await provider.retrieve(charges[-1].provider_payment_id)
    assert latest.status is ChargeStatus.SUCCEEDED
    # and the oldest is forgotten, as after a restart
    with pytest.raises(ProviderRejectedError, match="No such payment_intent"):
        await provider.retrieve(charges[0].provider_payment_id)
    assert provider.charges_created == 50


@pytest.fixture
async def redis_client(servers: Servers) -> AsyncIterator[cache.Client]:
    client = cache.create_client(servers.redis_url, timeout_seconds=30)
    yield client
    await client.aclose()


async def test_processes_sharing_the_redis_store_see_one_processor(
    redis_client: cache.Client,
) -> None:
    # Given two service processes' processors on one Redis store
    prefix = f"sim-test-{uuid.uuid4().hex}"
    one = SimulatedProvider(store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix))
    other = SimulatedProvider(
        store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix)
    )

    # When one charges a 3-D Secure card, the other confirms it and refunds part of it
    pending = await one.charge(charge_request("pm_card_authenticationRequired", key="k-shared"))
    await other.complete_action(pending.provider_payment_id, succeed=True)
    await other.refund(refund_request(pending, 400, key="r-shared"))

    # Then the first sees the payment succeeded, and replays the charge without a new one
    assert (await one.retrieve(pending.provider_payment_id)).status is ChargeStatus.SUCCEEDED
    assert await other.charge(charge_request("pm_card_authenticationRequired", key="k-shared")) == (
        pending
    )
    # and what is left to refund is the same from both
    with pytest.raises(ProviderRejectedError, match="greater than unrefunded amount"):
        await one.refund(refund_request(pending, 601, key="r-too-much"))
    # and each document expires: Redis holds the processor for its retention, no longer
    ttl = await redis_client.ttl(f"{prefix}:pi:{pending.provider_payment_id}")
    assert 0 < ttl <= 600


async def test_concurrent_refunds_from_many_processes_never_refund_more_than_was_paid(
    redis_client: cache.Client,
) -> None:
    # Given a $10 payment and eight processes' processors on one Redis store
    prefix = f"sim-test-{uuid.uuid4().hex}"
    providers = [
        SimulatedProvider(store=RedisSimulatorStore(redis_client, ttl_seconds=600, prefix=prefix))
        for _ in range(8)
    ]
    charge = await providers[0].charge(charge_request(key="k-race"))

    # When 40 refunds of $1, each with its own key, race across them
    async def refund(index: int) -> bool:
        try:
            await providers[index % 8].refund(refund_request(charge, 100, key=f"r-{index}"))
        except ProviderRejectedError:
            return False
        return True

    outcomes = await asyncio.gather(*(refund(index) for index in range(40)))

    # Then exactly ten succeed: the watched read-then-write let no two spend the same dollar
    assert sum(outcomes) == 10
    with pytest.raises(ProviderRejectedError, match="greater than unrefunded amount"):
        await providers[3].refund(refund_request(charge, 1, key="r-last"))
