"""The operator's commands and the relaying processes, through the real `tt` command:
`tt outbox status / dead-letters / redrive`, `tt worker`, and `tt serve` relaying in-process.

Commands that relay (worker, serve) drain every due row of their database, so those tests
run against a database of their own; the read-and-redrive tests use the shared one and
only their tenant's rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aio_pika
import attrs
import httpx
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractQueue
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_payments import Container, Settings
from tt_payments.adapters import database, migrate
from tt_payments.adapters.ledger_sql import SqlLedger
from tt_payments.adapters.payments_sql import SqlPayments
from tt_payments.adapters.rabbitmq import DEFAULT_EXCHANGE
from tt_payments.adapters.tables import outbox, outbox_dlq
from tt_workers.actors import declare_actors
from tt_workers.broker import build_broker
from tt_workers.services import Services

TT = str(Path(sys.executable).with_name("tt"))


def cli_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment a `tt` process needs to reach the test servers as ``settings`` does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TT_")}
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env.update(
        TT_DATA_DIR=str(settings.data_dir),
        TT_DATABASE_URL=settings.database_url,
        TT_REDIS_URL=settings.redis_url,
        TT_JWT_PRIVATE_KEY_FILE=str(settings.private_key_path),
        TT_JWT_PUBLIC_KEY_FILE=str(settings.public_key_path),
    )
    if settings.broker_url is not None:
        env["TT_BROKER_URL"] = settings.broker_url
    env.update(overrides)
    return env


def tt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [TT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


class Process:
    """A long-running `tt` command whose output goes to files the test can read."""

    def __init__(self, env: dict[str, str], directory: Path, *args: str) -> None:
        self.stdout_path = directory / f"{args[0]}-{uuid.uuid4().hex[:6]}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen([TT, *args], env=env, stdout=out, stderr=err)  # noqa: S603

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    async def wait_for_output(self, text: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while text not in self.stdout + self.stderr:
            if self.process.poll() is not None:
                raise AssertionError(f"tt exited ({self.process.returncode}): {self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not printed in {within} s: {self.stderr}")
            await asyncio.sleep(0.1)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit status (killing it if it does not stop in time)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"tt did not stop within {timeout} s of SIGTERM") from None


@pytest.fixture
def start(workdir: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def run(env: dict[str, str], *args: str) -> Process:
        process = Process(env, workdir, *args)
        started.append(process)
        return process

    yield run
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture(scope="module")
def relay_settings(settings: Settings, fresh_database: Callable[[], str]) -> Settings:
    """The test servers, with a database of its own for processes that relay."""
    url = fresh_database()
    migrate.upgrade(url)
    return attrs.evolve(settings, database_url=url)


@pytest.fixture(scope="module")
async def relay_engine(relay_settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert relay_settings.database_url is not None
    engine = database.create_engine(relay_settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


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
    async with SqlPayments(engine, SqlLedger(engine)).unit_of_work() as uow:
        return await uow.append_event(
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
    # Given two unpublished events, one of which failed once, and one dead letter
    first = await append_event(container.engine, tenant)
    await append_event(container.engine, tenant)
    async with container.engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == tenant, outbox.c.event_id == first)
            .values(attempts=1, next_attempt_at=sa.func.now() + sa.text("interval '1 minute'"))
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
    result = tt(cli_env(settings), "outbox", "status", "--tenant", str(tenant), "--json")

    # Then it counts them
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
    assert 0 <= age < 60
    assert oldest is not None


async def test_outbox_redrive_moves_dead_letters_back_once(
    container: Container, settings: Settings, tenant: uuid.UUID
) -> None:
    # Given a dead letter
    event_id = uuid.uuid4()
    async with container.engine.begin() as connection:
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
    async with container.engine.connect() as connection:
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
