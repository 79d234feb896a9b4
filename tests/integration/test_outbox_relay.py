"""The outbox relay against real PostgreSQL (and RabbitMQ where marked).

The relay drains every due row of its database, so this module works in a database of
its own: other tests' rows never reach these relays, and these relays never touch theirs.
Each test still writes under its own tenant and counts only that tenant's rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import aio_pika
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import database_clock
from tt_payments import Settings
from tt_payments.adapters.log_publisher import LOGGER_NAME, LogPublisher
from tt_payments.adapters.rabbitmq import DEFAULT_EXCHANGE, RabbitMqPublisher
from tt_payments.db import database, migrate
from tt_payments.db.tables.outbox import outbox, outbox_dlq
from tt_payments.db.unit_of_work import SqlUnitOfWork
from tt_payments.ledger.sql import SqlLedger
from tt_payments.outbox import MAX_ATTEMPTS, OutboxEvent, OutboxRelay, RelayReport
from tt_payments.outbox.ports import EventPublisher
from tt_payments.outbox.sql import SqlOutbox
from tt_payments.payments.sql import SqlPaymentsTransaction, payments_transaction
from tt_payments.wiring import build_publisher


class RecordingPublisher:
    """Confirms every event and remembers it."""

    def __init__(self) -> None:
        self.events: list[OutboxEvent] = []

    async def publish(self, event: OutboxEvent) -> None:
        self.events.append(event)

    async def aclose(self) -> None:
        return None


class RefusingPublisher(RecordingPublisher):
    """Refuses the events of one tenant, as a broker that nacks them would."""

    def __init__(self, tenant: uuid.UUID) -> None:
        super().__init__()
        self.tenant = tenant

    async def publish(self, event: OutboxEvent) -> None:
        if event.tenant_id == self.tenant:
            raise RuntimeError("broker said no")
        await super().publish(event)


@pytest.fixture(scope="module")
def outbox_database_url(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="module")
async def engine(outbox_database_url: str) -> AsyncIterator[AsyncEngine]:
    built = database.create_engine(outbox_database_url, pool_size=4)
    yield built
    await built.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlOutbox:
    return SqlOutbox(engine)


@pytest.fixture
def payments(engine: AsyncEngine) -> SqlUnitOfWork[SqlPaymentsTransaction]:
    """The payments context's unit of work, as the service wires it."""
    return SqlUnitOfWork(engine, payments_transaction(SqlLedger(engine)))


@pytest.fixture
def broker_url(settings: Settings) -> str:
    assert settings.broker_url is not None
    return settings.broker_url


@pytest.fixture
async def rabbitmq(broker_url: str) -> AsyncIterator[Callable[[], RabbitMqPublisher]]:
    """``rabbitmq()`` -> a publisher to the test broker, closed after the test."""
    made: list[RabbitMqPublisher] = []

    def make() -> RabbitMqPublisher:
        made.append(RabbitMqPublisher(broker_url))
        return made[-1]

    yield make
    for publisher in made:
        await publisher.aclose()


@pytest.fixture
async def amqp(broker_url: str) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(broker_url)
    yield connection
    await connection.close()


@pytest.fixture
async def subscriber(amqp: AbstractRobustConnection) -> AbstractQueue:
    """A queue of this test's own, bound to every event on the events exchange."""
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        DEFAULT_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"test.outbox.{uuid.uuid4().hex}", exclusive=True)
    await queue.bind(exchange, routing_key="#")
    return queue


async def append_events(
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    tenant: uuid.UUID,
    count: int = 1,
    event_type: str = "payment.completed",
) -> list[uuid.UUID]:
    """Commit ``count`` events the way a use case does, through the unit of work."""
    ids = []
    async with payments() as tx:
        for number in range(count):
            aggregate = uuid.uuid4()
            ids.append(
                await tx.outbox.append(
                    tenant_id=tenant,
                    event_type=event_type,
                    aggregate_type="payment",
                    aggregate_id=aggregate,
                    data={"transactionId": str(aggregate), "amount": 10_000 + number},
                )
            )
    return ids


async def relay_until_idle(relay: OutboxRelay) -> list[RelayReport]:
    reports = []
    while (report := await relay.relay_once()).claimed:
        reports.append(report)
    return reports


async def received(queue: AbstractQueue, tenant: uuid.UUID) -> list[AbstractIncomingMessage]:
    """Every message now in ``queue`` that belongs to ``tenant``.

    The relay returns only after the broker confirmed, and RabbitMQ confirms a routed
    persistent message once it is in its queues: nothing is still on its way.
    """
    messages = []
    while (message := await queue.get(no_ack=True, fail=False, timeout=30)) is not None:
        if json.loads(message.body)["tenantId"] == str(tenant):
            messages.append(message)
    return messages


async def outbox_rows(engine: AsyncEngine, tenant: uuid.UUID) -> Sequence[sa.RowMapping]:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.select(outbox).where(outbox.c.tenant_id == tenant).order_by(outbox.c.id)
        )
        return result.mappings().all()


async def dead_letter_rows(engine: AsyncEngine, tenant: uuid.UUID) -> Sequence[sa.RowMapping]:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.select(outbox_dlq).where(outbox_dlq.c.tenant_id == tenant)
        )
        return result.mappings().all()


async def make_due(engine: AsyncEngine, tenant: uuid.UUID) -> None:
    """Skip the backoff wait: the tenant's pending rows become due now."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.processed_at.is_(None))
            .values(next_attempt_at=sa.func.now())
        )


async def postpone(engine: AsyncEngine, tenant: uuid.UUID, by: dt.timedelta) -> None:
    """Move the tenant's pending rows' last and next attempts ``by`` later: the back-off
    between them is kept, and the next attempt is certainly still to come however long
    the test took to get here."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.processed_at.is_(None))
            .values(
                last_attempt_at=outbox.c.last_attempt_at + by,
                next_attempt_at=outbox.c.next_attempt_at + by,
            )
        )


async def fail_until_dead_lettered(
    engine: AsyncEngine, store: SqlOutbox, tenant: uuid.UUID
) -> None:
    relay = OutboxRelay(store=store, publisher=RefusingPublisher(tenant))
    for _ in range(MAX_ATTEMPTS):
        await make_due(engine, tenant)
        await relay_until_idle(relay)


@pytest.mark.needs_broker
async def test_a_committed_payment_completed_event_is_published_once_as_an_envelope(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    subscriber: AbstractQueue,
    rabbitmq: Callable[[], RabbitMqPublisher],
    tenant: uuid.UUID,
) -> None:
    # Given a payment.completed event committed with its payment
    [event_id] = await append_events(payments, tenant)
    relay = OutboxRelay(store=store, publisher=rabbitmq())

    # When the relay runs, and runs again
    await relay_until_idle(relay)
    await relay_until_idle(relay)

    # Then the event reached the exchange exactly once, as the versioned envelope
    [message] = await received(subscriber, tenant)
    [row] = await outbox_rows(engine, tenant)
    envelope = json.loads(message.body)
    assert envelope == {
        "id": str(event_id),
        "type": "payment.completed",
        "version": 1,
        "occurredAt": row["created_at"].isoformat(),
        "tenantId": str(tenant),
        "aggregateType": "payment",
        "aggregateId": str(row["aggregate_id"]),
        "data": row["payload"],
    }
    assert message.message_id == str(event_id)
    assert message.routing_key == "payment.completed"
    assert message.exchange == DEFAULT_EXCHANGE
    assert message.content_type == "application/json"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    # And the row is processed after one attempt
    assert row["processed_at"] is not None
    assert row["attempts"] == 1


async def test_an_event_is_published_only_after_its_transaction_commits(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(store=store, publisher=publisher)

    # Given an event whose transaction has not committed yet
    async with payments() as tx:
        pending = await tx.outbox.append(
            tenant_id=tenant,
            event_type="payment.completed",
            aggregate_type="payment",
            aggregate_id=uuid.uuid4(),
            data={},
        )
        # When the relay runs meanwhile, it does not see it
        await relay_until_idle(relay)
        assert pending not in [event.event_id for event in publisher.events]

    # And an event whose transaction rolls back is never published
    async def append_then_fail() -> None:
        async with payments() as tx:
            await tx.outbox.append(
                tenant_id=tenant,
                event_type="payment.completed",
                aggregate_type="payment",
                aggregate_id=uuid.uuid4(),
                data={},
            )
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError, match="the business change failed"):
        await append_then_fail()

    # Then once committed, the first is published, and only it
    await relay_until_idle(relay)
    assert [event.event_id for event in publisher.events if event.tenant_id == tenant] == [pending]


@pytest.mark.needs_broker
async def test_two_relays_running_at_once_publish_each_row_exactly_once(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    subscriber: AbstractQueue,
    rabbitmq: Callable[[], RabbitMqPublisher],
    tenant: uuid.UUID,
) -> None:
    # Given 300 committed events
    event_ids = await append_events(payments, tenant, count=300)
    relays = [OutboxRelay(store=store, publisher=rabbitmq(), batch_size=25) for _ in range(2)]

    # When two relays drain the outbox concurrently
    reports = await asyncio.gather(*(relay_until_idle(relay) for relay in relays))

    # Then both did part of the work, and together they published every row once
    published = [sum(report.published for report in one) for one in reports]
    assert all(count > 0 for count in published), published
    assert sum(published) == 300
    messages = await received(subscriber, tenant)
    assert sorted(message.message_id or "" for message in messages) == sorted(
        str(event_id) for event_id in event_ids
    )
    rows = await outbox_rows(engine, tenant)
    assert {(row["attempts"], row["processed_at"] is not None) for row in rows} == {(1, True)}


async def test_a_refused_event_backs_off_exponentially_then_moves_to_the_dead_letters(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
) -> None:
    # Given an event the broker refuses every time
    [event_id] = await append_events(payments, tenant)
    relay = OutboxRelay(store=store, publisher=RefusingPublisher(tenant))

    for failures in range(1, MAX_ATTEMPTS):
        # When the relay tries it
        tried_from = await database_clock(engine)
        await relay_until_idle(relay)

        # Then it waits 2, 4, 8, 16 seconds from that attempt before the next one
        [row] = await outbox_rows(engine, tenant)
        assert row["attempts"] == failures
        assert row["processed_at"] is None
        assert row["last_error"] == "RuntimeError: broker said no"
        assert row["last_attempt_at"] >= tried_from
        assert row["next_attempt_at"] - row["last_attempt_at"] == dt.timedelta(seconds=2**failures)
        # and a relay running before then leaves it alone (the attempt is moved an hour
        # later, back-off kept, so "before then" holds however slowly this runs)
        await postpone(engine, tenant, dt.timedelta(hours=1))
        await relay_until_idle(relay)
        [again] = await outbox_rows(engine, tenant)
        assert again["attempts"] == failures
        assert again["next_attempt_at"] - again["last_attempt_at"] == dt.timedelta(
            seconds=2**failures
        )
        await make_due(engine, tenant)

    # When it fails the fifth time
    reports = await relay_until_idle(relay)

    # Then it leaves the outbox for the dead-letter table, with its history
    assert sum(report.dead_lettered for report in reports) == 1
    assert await outbox_rows(engine, tenant) == []
    [letter] = await dead_letter_rows(engine, tenant)
    assert letter["event_id"] == event_id
    assert letter["attempts"] == MAX_ATTEMPTS
    assert letter["last_error"] == "RuntimeError: broker said no"
    assert letter["original_id"] > 0


@pytest.mark.needs_broker
async def test_a_redriven_dead_letter_is_published_with_its_original_event_id(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    subscriber: AbstractQueue,
    rabbitmq: Callable[[], RabbitMqPublisher],
    tenant: uuid.UUID,
) -> None:
    # Given an event that ended in the dead-letter table
    [event_id] = await append_events(payments, tenant)
    await fail_until_dead_lettered(engine, store, tenant)
    [letter] = await store.dead_letters(tenant)
    assert (await store.status(tenant)).dead_letters == 1

    # When an operator redrives it, twice
    assert await store.redrive([letter.id]) == 1
    assert await store.redrive([letter.id]) == 0

    # Then it is back in the outbox once, due now, with its attempts reset
    [row] = await outbox_rows(engine, tenant)
    assert (row["event_id"], row["attempts"], row["created_at"]) == (
        event_id,
        0,
        letter.occurred_at,
    )
    assert await dead_letter_rows(engine, tenant) == []

    # And a working broker gets it, under the same message id
    await relay_until_idle(OutboxRelay(store=store, publisher=rabbitmq()))
    [message] = await received(subscriber, tenant)
    assert message.message_id == str(event_id)
    assert (await store.status(tenant)).pending == 0


async def test_redrive_all_takes_only_the_named_tenants_dead_letters(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
) -> None:
    other = uuid.uuid4()
    for owner in (tenant, other):
        await append_events(payments, owner, count=2)
        await fail_until_dead_lettered(engine, store, owner)

    assert await store.redrive(None, tenant) == 2

    assert len(await outbox_rows(engine, tenant)) == 2
    assert len(await dead_letter_rows(engine, other)) == 2


async def test_an_unreachable_broker_defers_events_without_counting_attempts(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
) -> None:
    # Given events, and a broker nobody listens for (port 1 refuses connections)
    await append_events(payments, tenant, count=2)
    publisher = RabbitMqPublisher("amqp://guest:guest@127.0.0.1:1/", timeout=2)
    relay = OutboxRelay(store=store, publisher=publisher)

    # When the relay runs more often than an event may fail
    for _ in range(MAX_ATTEMPTS + 1):
        report = await relay.relay_once()
        assert report.deferred == report.claimed

    # Then the events wait, due, with no attempt counted, and none is dead-lettered
    rows = await outbox_rows(engine, tenant)
    assert [(row["attempts"], row["processed_at"]) for row in rows] == [(0, None), (0, None)]
    assert await dead_letter_rows(engine, tenant) == []
    assert (await store.status(tenant)).due == 2
    await relay_until_idle(OutboxRelay(store=store, publisher=RecordingPublisher()))


async def test_without_a_broker_events_go_to_the_log(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the embedded default's publisher (no TT_BROKER_URL)
    publisher = build_publisher(Settings())
    assert isinstance(publisher, LogPublisher)
    [event_id] = await append_events(payments, tenant, event_type="refund.completed")

    # When the relay runs
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        await relay_until_idle(OutboxRelay(store=store, publisher=publisher))

    # Then the envelope is logged and the row counts as published
    [record] = [r for r in caplog.records if getattr(r, "envelope", {}).get("id") == str(event_id)]
    assert record.name == LOGGER_NAME
    assert record.routingKey == "refund.completed"  # type: ignore[attr-defined]
    assert record.envelope["tenantId"] == str(tenant)  # type: ignore[attr-defined]
    [row] = await outbox_rows(engine, tenant)
    assert row["processed_at"] is not None


def test_a_broker_url_selects_the_rabbitmq_publisher() -> None:
    publisher: EventPublisher = build_publisher(Settings(broker_url="amqp://localhost/"))
    assert isinstance(publisher, RabbitMqPublisher)


async def test_status_counts_pending_due_retrying_and_dead_letters(
    engine: AsyncEngine,
    payments: SqlUnitOfWork[SqlPaymentsTransaction],
    store: SqlOutbox,
    tenant: uuid.UUID,
) -> None:
    # Given one dead letter, then two new events written at 09:00 and 10:00 on a day in
    # the past, the first of which failed once and is retried only tomorrow
    await append_events(payments, tenant)
    await fail_until_dead_lettered(engine, store, tenant)
    await append_events(payments, tenant, count=2)
    written_at = dt.datetime(2020, 1, 1, 9, 0, tzinfo=dt.UTC)
    first = (
        sa.select(sa.func.min(outbox.c.id)).where(outbox.c.tenant_id == tenant).scalar_subquery()
    )
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.id != first)
            .values(created_at=written_at + dt.timedelta(hours=1))
        )
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.id == first)
            .values(
                created_at=written_at,
                attempts=1,
                next_attempt_at=sa.func.now() + dt.timedelta(days=1),
            )
        )

    # When the status is read (between two readings of the database's clock)
    before = await database_clock(engine)
    status = await store.status(tenant)
    after = await database_clock(engine)

    # Then it counts them, and the oldest pending row's age is the time since it was written
    assert (status.pending, status.due, status.retrying, status.dead_letters) == (2, 1, 1, 1)
    assert status.oldest_pending_at == written_at
    assert status.oldest_pending_age is not None
    assert before - written_at <= status.oldest_pending_age <= after - written_at
    empty = await store.status(uuid.uuid4())
    assert (empty.pending, empty.oldest_pending_age, empty.dead_letters) == (0, None, 0)
