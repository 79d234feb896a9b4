"""The relay's rules without a database: backoff, the envelope, and its settings."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from tt_payments.adapters.log_publisher import LogPublisher
from tt_payments.outbox import (
    MAX_BACKOFF,
    DeadLetter,
    OutboxEvent,
    OutboxRelay,
    OutboxStatus,
    RelayLoop,
    backoff,
)
from tt_payments.settings import Settings, SettingsError


def test_backoff_doubles_from_two_seconds_and_stops_at_five_minutes() -> None:
    delays = [backoff(failures).total_seconds() for failures in range(1, 12)]
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert backoff(10_000) == MAX_BACKOFF


def test_backoff_needs_a_failure_first() -> None:
    with pytest.raises(ValueError, match="at least one failure"):
        backoff(0)


def test_the_envelope_is_versioned_camel_case_json() -> None:
    tenant, event_id, aggregate = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    occurred = dt.datetime(2025, 6, 1, 20, 0, 0, 123456, tzinfo=dt.UTC)
    event = OutboxEvent(
        tenant_id=tenant,
        row_id=7,
        event_id=event_id,
        event_type="refund.completed",
        aggregate_type="refund",
        aggregate_id=aggregate,
        data={"amount": 1500, "currency": "USD"},
        occurred_at=occurred,
        attempts=0,
    )

    assert json.loads(event.body()) == {
        "id": str(event_id),
        "type": "refund.completed",
        "version": 1,
        "occurredAt": "2025-06-01T20:00:00.123456+00:00",
        "tenantId": str(tenant),
        "aggregateType": "refund",
        "aggregateId": str(aggregate),
        "data": {"amount": 1500, "currency": "USD"},
    }


def test_the_relay_runs_inside_tt_serve_only_in_the_embedded_default_unless_told() -> None:
    assert Settings.from_env({}).runs_relay_in_process is True
    configured = {"TT_DATABASE_URL": "postgresql://db/x", "TT_REDIS_URL": "redis://r"}
    assert Settings.from_env(configured).runs_relay_in_process is False
    told = Settings.from_env({**configured, "TT_RELAY_IN_PROCESS": "yes"})
    assert told.runs_relay_in_process is True
    assert Settings.from_env({"TT_RELAY_IN_PROCESS": "off"}).runs_relay_in_process is False


def test_outbox_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "TT_OUTBOX_BATCH": "250",
            "TT_OUTBOX_INTERVAL_MS": "200",
            "TT_EVENTS_EXCHANGE": "tt.staging.events",
        }
    )
    assert (settings.outbox_batch, settings.outbox_interval_ms) == (250, 200)
    assert settings.events_exchange == "tt.staging.events"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TT_OUTBOX_BATCH", "0"),
        ("TT_OUTBOX_INTERVAL_MS", "soon"),
        ("TT_RELAY_IN_PROCESS", "maybe"),
    ],
)
def test_a_bad_outbox_setting_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


class EmptyClaim:
    events: Sequence[OutboxEvent] = ()

    async def published(self, events: Sequence[OutboxEvent]) -> None: ...

    async def retry_later(self, event: OutboxEvent, error: str, delay: dt.timedelta) -> None: ...

    async def dead_letter(self, event: OutboxEvent, error: str) -> None: ...


class FlakyStore:
    """An outbox whose database is down for the first pass, then empty."""

    def __init__(self) -> None:
        self.claims = 0
        self.third_pass = asyncio.Event()

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[EmptyClaim]:
        self.claims += 1
        if self.claims == 3:
            self.third_pass.set()
        if self.claims == 1:
            raise ConnectionError("database is down")
        yield EmptyClaim()

    async def status(self, tenant_id: uuid.UUID | None = None) -> OutboxStatus:
        raise NotImplementedError

    async def dead_letters(
        self, tenant_id: uuid.UUID | None = None, *, limit: int = 100
    ) -> Sequence[DeadLetter]:
        raise NotImplementedError

    async def redrive(self, ids: Sequence[int] | None, tenant_id: uuid.UUID | None = None) -> int:
        raise NotImplementedError


async def test_the_relay_loop_outlives_a_failed_pass_and_stops_when_asked() -> None:
    store = FlakyStore()
    relay = OutboxRelay(
        store=store, publisher=LogPublisher(), interval=dt.timedelta(milliseconds=10)
    )
    loop = RelayLoop(relay)

    loop.start()
    try:
        # Generous bounds: three 10 ms passes reach them only if the loop is stuck.
        await asyncio.wait_for(store.third_pass.wait(), 30)
    finally:
        await asyncio.wait_for(loop.stop(), 30)  # the loop never outlives the test
    await loop.stop()  # again: nothing to do

    assert store.claims >= 3
