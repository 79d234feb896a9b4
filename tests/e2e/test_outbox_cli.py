"""The operator's commands and the relaying processes, through the real `tt` command:
`tt outbox status / dead-letters / redrive`, `tt worker`, and `tt serve` relaying in-process.

Commands that relay (worker, serve) drain every due row of their database, so those tests
run against a database of their own; the read-and-redrive tests use the shared one and
only their tenant's rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable

import aio_pika
import attrs
import httpx
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractQueue
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import database_clock
from tests.e2e.processes import Process, cli_env, tt
from tt_payments import Container, Settings
from tt_payments.adapters.rabbitmq import DEFAULT_EXCHANGE
from tt_payments.db.tables.outbox import outbox, outbox_dlq
from tt_payments.db.unit_of_work import SqlUnitOfWork
from tt_payments.ledger.sql import SqlLedger
from tt_payments.payments.sql import payments_transaction
from tt_workers.actors import declare_actors
from tt_workers.broker import build_broker
from tt_workers.services import Services


@pytest.fixture
async def subscriber(settings: Settings) -> AsyncIterator[AbstractQueue]:
    """A queue of this test's own, bound to every event on the events exchange."""
    assert settings.broker_url is not None
    connection = await aio_pika.connect_robust(settings.broker_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        DEFAULT_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"test.outbox.{uuid.uuid4().hex}", exclusive=True)
    await queue.bind(exchange, routing_key="#")
    yield queue
    await connection.close()


async def append_event(engine: AsyncEngine, tenant: uuid.UUID) -> uuid.UUID:
    async with SqlUnitOfWork(engine, payments_transaction(SqlLedger(engine)))() as tx:
        return await tx.outbox.append(
            tenant_id=tenant,
            event_type="payment.completed",
            aggregate_type="payment",
            aggregate_id=uuid.uuid4(),
            data={"amount": 4200},
        )


async def next_message_id(queue: AbstractQueue, tenant: uuid.UUID, within: float = 30) -> str:
    """The id of the next message in ``queue`` for ``tenant``, waiting up to ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.1)
        elif json.loads(message.body)["tenantId"] == str(tenant):
            return message.message_id or ""
    raise AssertionError(f"no event for tenant {tenant} within {within} s")


async def test_outbox_status_json_reports_the_tenants_backlog(
    container: Container, settings: Settings, tenant: uuid.UUID
) -> None:
    # Given two unpublished events written at fixed past moments: the newer due since,
    # the older failed once and retried only tomorrow; and one dead letter
    oldest_written = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first = await append_event(container.infrastructure.engine, tenant)
    second = await append_event(container.infrastructure.engine, tenant)
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.event_id == first)
            .values(
                created_at=oldest_written,
                attempts=1,
                next_attempt_at=sa.func.now() + sa.text("interval '1 day'"),
            )
        )
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.event_id == second)
            .values(
                created_at=oldest_written + dt.timedelta(hours=1),
                next_attempt_at=oldest_written + dt.timedelta(hours=1),
            )
        )
        await connection.execute(
            sa.insert(outbox_dlq).values(
                tenant_id=tenant,
                original_id=1,
                event_id=uuid.uuid4(),
                aggregate_id=uuid.uuid4(),
                aggregate_type="payment",
                event_type="payment.completed",
                payload={},
                attempts=5,
                last_error="RuntimeError: broker said no",
                created_at=sa.func.now(),
                moved_to_dlq_at=sa.func.now(),
            )
        )

    # When an operator asks for the tenant's status as JSON
    asked_after = await database_clock(container.infrastructure.engine)
    result = tt(cli_env(settings), "outbox", "status", "--tenant", str(tenant), "--json")
    answered_before = await database_clock(container.infrastructure.engine)

    # Then it counts them: one due now, one waiting for its retry
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    age = status.pop("oldestPendingAgeSeconds")
    oldest = status.pop("oldestPendingAt")
    assert status == {
        "tenantId": str(tenant),
        "pending": 2,
        "due": 1,
        "retrying": 1,
        "deadLetters": 1,
    }
    # And the oldest is the first written, its age by the database's clock at some moment
    # while the command ran (the age is rounded to the millisecond)
    assert dt.datetime.fromisoformat(oldest) == oldest_written
    earliest = (asked_after - oldest_written).total_seconds()
    latest = (answered_before - oldest_written).total_seconds()
    assert earliest - 0.001 <= age <= latest + 0.001, (earliest, age, latest)


async def test_outbox_redrive_moves_dead_letters_back_once(
    container: Container, settings: Settings, tenant: uuid.UUID
) -> None:
    # Given a dead letter
    event_id = uuid.uuid4()
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.insert(outbox_dlq).values(
                tenant_id=tenant,
                original_id=1,
                event_id=event_id,
                aggregate_id=uuid.uuid4(),
                aggregate_type="payment",
                event_type="payment.completed",
                payload={"amount": 1},
                attempts=5,
                last_error="RuntimeError: broker said no",
                created_at=sa.func.now(),
                moved_to_dlq_at=sa.func.now(),
            )
        )
    env = cli_env(settings)
    listed = tt(env, "outbox", "dead-letters", "--tenant", str(tenant))
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (letter["eventId"], letter["attempts"]) == (str(event_id), 5)

    # When the operator redrives it by id, and again
    first = tt(env, "outbox", "redrive", "--id", str(letter["id"]))
    second = tt(env, "outbox", "redrive", "--id", str(letter["id"]))

    # Then it moved once, and is back in the outbox with its attempts reset
    assert json.loads(first.stdout) == {"redriven": 1}, first.stderr
    assert json.loads(second.stdout) == {"redriven": 0}, second.stderr
    async with container.infrastructure.engine.connect() as connection:
        attempts = (
            await connection.execute(
                sa.select(outbox.c.attempts).where(
                    outbox.c.tenant_id == tenant, outbox.c.event_id == event_id
                )
            )
        ).scalar_one()
    assert attempts == 0
    # And a redrive that names nothing is refused
    vague = tt(env, "outbox", "redrive")
    assert vague.returncode == 1
    assert "--id" in vague.stderr


@pytest.mark.needs_broker
async def test_tt_worker_relays_events_runs_actors_and_stops_on_sigterm(
    relay_settings: Settings,
    relay_engine: AsyncEngine,
    container: Container,
    subscriber: AbstractQueue,
    start: Callable[..., Process],
    tenant: uuid.UUID,
) -> None:
    # Given a committed event, and `tt worker` on RabbitMQ whose relay loop then idles 1 h
    before = await append_event(relay_engine, tenant)
    worker = start(cli_env(relay_settings, TT_OUTBOX_INTERVAL_MS="3600000"), "worker")

    # Then its relay loop publishes the event
    assert await next_message_id(subscriber, tenant, within=60) == str(before)
    await worker.wait_for_output("tt worker: running")

    # When another event commits and someone asks for a relay pass through Dramatiq
    after = await append_event(relay_engine, tenant)
    broker = build_broker(relay_settings, relay_settings.redis_url or "")
    try:
        declare_actors(broker, Services(container, relay=False)).relay_outbox.send()
    finally:
        broker.close()

    # Then the worker's actor publishes it
    assert await next_message_id(subscriber, tenant) == str(after)

    # And SIGTERM stops the worker cleanly
    assert worker.terminate() == 0, worker.stderr
    assert "tt worker: stopped" in worker.stderr


async def test_tt_worker_without_a_broker_queues_in_redis_and_logs_events(
    relay_settings: Settings,
    relay_engine: AsyncEngine,
    start: Callable[..., Process],
    tenant: uuid.UUID,
) -> None:
    # Given `tt worker` with no TT_BROKER_URL (Dramatiq on Redis, events to the log)
    env = cli_env(attrs.evolve(relay_settings, broker_url=None))
    worker = start(env, "worker")
    await worker.wait_for_output("tt worker: running")

    # When an event commits, the relay logs its envelope
    event_id = await append_event(relay_engine, tenant)
    await worker.wait_for_output(str(event_id))
    [line] = [json.loads(line) for line in worker.stdout.splitlines() if str(event_id) in line]
    assert line["logger"] == "tt_payments.events"
    assert line["envelope"]["tenantId"] == str(tenant)

    # And SIGINT (Ctrl-C) stops it as cleanly as SIGTERM
    worker.process.send_signal(signal.SIGINT)
    assert worker.process.wait(timeout=30) == 0, worker.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_tt_serve_relays_in_process_to_the_log_when_asked(
    relay_settings: Settings,
    relay_engine: AsyncEngine,
    start: Callable[..., Process],
    tenant: uuid.UUID,
) -> None:
    # Given `tt serve` with the relay in-process and no broker, as the embedded default runs
    port = free_port()
    env = cli_env(
        attrs.evolve(relay_settings, broker_url=None),
        TT_PORT=str(port),
        TT_RELAY_IN_PROCESS="true",
    )
    server = start(env, "serve")
    await server.wait_for_output("tt serve: listening")
    deadline = time.monotonic() + 60
    while True:
        try:
            async with httpx.AsyncClient() as http:
                if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, server.stderr
        await asyncio.sleep(0.2)

    # When an event commits, the server's relay logs it
    event_id = await append_event(relay_engine, tenant)
    await server.wait_for_output(str(event_id))

    # And the server stops cleanly, its relay with it (uvicorn re-raises the SIGTERM it
    # handled once it has shut down, hence that exit status)
    assert server.terminate() in (0, -signal.SIGTERM), server.stderr
    assert "Application shutdown complete" in server.stdout
    assert '"level": "error"' not in server.stdout, server.stdout
