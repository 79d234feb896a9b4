"""Events delivered to subscribers as signed POSTs, against a local receiver that answers
500, times out, closes the connection and succeeds: every event arrives, in order per
payment, the signature verifies, a receiver that dedups by event id applies each once;
dead letters hold their payment's later events back until redriven."""

from __future__ import annotations

import datetime as dt
import uuid

import attrs
import pytest

from tests.integration.event_receiver import CLOSE, FAIL, OK, SLOW, receiving
from tests.integration.test_payment_faults import Shop, open_shop
from tt_money.errors import InvalidInputError
from tt_payments import Container
from tt_payments.adapters.event_sender import HttpEventSender
from tt_payments.auth.identity import ForbiddenError
from tt_payments.subscribers.records import DeliveryStatus, SubscriberNotFoundError
from tt_payments.subscribers.service import DeliveryDispatcher

SECRET = "subscriber-secret-for-the-tests-0123456789"
TYPES = ("payment.completed", "payment.failed", "refund.completed")
PAYMENTS = 4


@pytest.fixture
async def shop(container: Container, tenant: uuid.UUID) -> Shop:
    return await open_shop(container, tenant)


def dispatcher(container: Container, *, max_attempts: int = 8) -> DeliveryDispatcher:
    """The container's dispatcher with no pause between attempts and a short timeout (a
    slow answer is the point of one test; an answered one comes back in milliseconds)."""
    return attrs.evolve(
        container.deliveries,
        sender=HttpEventSender(timeout_seconds=1.0),
        max_attempts=max_attempts,
        backoff=lambda _failures: dt.timedelta(0),
    )


async def drain(deliveries: DeliveryDispatcher, *, passes: int = 200) -> int:
    """Dispatch until a pass finds nothing due; how many passes it took."""
    for done in range(1, passes + 1):
        if not (await deliveries.dispatch_once()).claimed:
            return done
    raise AssertionError(f"deliveries still due after {passes} passes")


async def pay_and_refund(container: Container, shop: Shop) -> uuid.UUID:
    """A payment that completes, then is refunded in two parts: three events, one payment."""
    paid = await container.payments.process(shop.buyer, shop.order())
    for amount in (1000, None):
        await container.refunds.refund(
            shop.admin,
            paid.record.id,
            amount_minor=amount,
            reason="cancelled",
            idempotency_key=uuid.uuid4(),
        )
    return paid.record.id


async def test_every_event_arrives_in_order_per_payment_signed_and_applied_once(
    container: Container, shop: Shop
) -> None:
    async with receiving(SECRET) as (receiver, url):
        receiver.slow_seconds = 3.0  # past the sender's 1 s timeout
        await container.subscribers.add(shop.admin, url=url, event_types=TYPES, secret=SECRET)
        payments = [await pay_and_refund(container, shop) for _ in range(PAYMENTS)]
        # The first answers fail every way a receiver fails, then it recovers.
        receiver.script = [FAIL, SLOW, CLOSE, FAIL, CLOSE, SLOW, FAIL, OK, CLOSE]
        deliveries = dispatcher(container)
        await drain(deliveries)
    assert receiver.script == []  # every misbehaviour happened
    assert receiver.requests == 3 * PAYMENTS + 8  # each failed answer, one more request
    assert receiver.bad_signatures == 0
    for payment in payments:
        assert receiver.applied[str(payment)] == [
            "payment.completed",
            "refund.completed",
            "refund.completed",
        ], receiver.applied
    assert receiver.duplicates >= 1  # a slow answer was sent again; the receiver deduped
    assert len(receiver.seen) == 3 * PAYMENTS
    view = await container.subscribers.deliveries(shop.admin)
    assert {row.status for row in view} == {DeliveryStatus.DELIVERED}
    assert len(view) == 3 * PAYMENTS


async def test_a_delivery_out_of_attempts_is_dead_holds_its_payment_back_and_redrives(
    container: Container, shop: Shop
) -> None:
    async with receiving(SECRET) as (receiver, url):
        subscriber = await container.subscribers.add(
            shop.admin, url=url, event_types=TYPES, secret=SECRET
        )
        receiver.always = FAIL
        payment = await pay_and_refund(container, shop)
        deliveries = dispatcher(container, max_attempts=3)
        await drain(deliveries)
        dead = await container.subscribers.deliveries(shop.admin, status=DeliveryStatus.DEAD)
        assert [row.event_type for row in dead] == ["payment.completed"]
        assert (dead[0].attempts, dead[0].last_status) == (3, 500)
        assert "answered 500" in (dead[0].last_error or "")
        assert receiver.requests == 3  # the refunds waited behind it, never sent
        receiver.always = None
        assert await drain(deliveries) == 1  # nothing is due while the dead one waits
        assert await container.subscribers.redrive(shop.admin, subscriber_id=subscriber.id) == 1
        await drain(deliveries)
    assert receiver.applied[str(payment)] == [
        "payment.completed",
        "refund.completed",
        "refund.completed",
    ]
    assert receiver.bad_signatures == 0


async def test_a_receiver_with_another_secret_refuses_and_only_wanted_types_are_sent(
    container: Container, shop: Shop
) -> None:
    async with receiving("the-receiver-expects-another-secret") as (receiver, url):
        await container.subscribers.add(
            shop.admin, url=url, event_types=("payment.failed",), secret=SECRET
        )
        await container.payments.process(shop.buyer, shop.order())  # completed: not wanted
        await container.payments.process(shop.buyer, shop.order("pm_card_chargeDeclined"))
        deliveries = dispatcher(container, max_attempts=2)
        await drain(deliveries)
    assert receiver.bad_signatures == 2  # the one payment.failed, twice, then dead
    assert receiver.seen == set()
    (dead,) = await container.subscribers.deliveries(shop.admin)
    assert (dead.event_type, dead.status, dead.last_status) == (
        "payment.failed",
        DeliveryStatus.DEAD,
        401,
    )


async def test_subscribers_are_admin_only_validated_and_removable(
    container: Container, shop: Shop
) -> None:
    with pytest.raises(ForbiddenError):
        await container.subscribers.add(shop.buyer, url="https://example.test/hooks")
    for bad in (
        {"url": "ftp://example.test/hooks"},
        {"url": "https://example.test/hooks", "event_types": ["Payment Completed"]},
        {"url": "https://example.test/hooks", "secret": "short"},
    ):
        with pytest.raises(InvalidInputError):
            await container.subscribers.add(shop.admin, **bad)  # type: ignore[arg-type]
    added = await container.subscribers.add(shop.admin, url="https://example.test/hooks")
    assert len(added.secret) >= 32  # generated
    await container.payments.process(shop.buyer, shop.order())
    assert len(await container.subscribers.deliveries(shop.admin)) == 1  # every type
    listed = await container.subscribers.of_tenant(shop.admin)
    assert [s.id for s in listed] == [added.id]
    await container.subscribers.remove(shop.admin, added.id)
    assert await container.subscribers.of_tenant(shop.admin) == []
    assert await container.subscribers.deliveries(shop.admin) == []
    with pytest.raises(SubscriberNotFoundError):
        await container.subscribers.remove(shop.admin, added.id)
