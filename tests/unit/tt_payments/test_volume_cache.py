"""The fee tier's volume is reused per venue for the configured time, refreshed in the
background for as long again, and read once however many requests want it at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from tt_money import USD, Currency, Money
from tt_payments.catalog.volume_cache import CachedSalesVolume

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


class CountingVolume:
    def __init__(self) -> None:
        self.reads = 0
        self.volume = 0
        self.gate: asyncio.Event | None = None
        """When set, each read waits for it: a slow scan."""
        self.fails = False

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        self.reads += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fails:
            raise OSError("the database did not answer")
        return Money(self.volume, currency)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def read(cache: CachedSalesVolume, tenant: uuid.UUID, venue: uuid.UUID) -> Money:
    return await cache.completed_volume(tenant, venue, USD, NOW - dt.timedelta(days=30), NOW)


async def test_volume_is_reused_within_the_ttl_then_refreshed_in_the_background() -> None:
    source, clock = CountingVolume(), Clock()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    source.volume = 1_000_000
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    source.volume = 2_000_000
    clock.now = 59.0
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    assert source.reads == 1
    # Past the TTL the request gets the answer it had at once, and one read starts
    clock.now = 61.0
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    await asyncio.sleep(0)  # the background read runs
    assert source.reads == 2
    assert await read(cache, tenant, venue) == Money(2_000_000, USD)
    assert source.reads == 2


async def test_an_answer_older_than_twice_the_ttl_is_read_again_before_answering() -> None:
    source, clock = CountingVolume(), Clock()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    source.volume = 1_000_000
    await read(cache, tenant, venue)
    source.volume = 3_000_000
    clock.now = 121.0
    assert await read(cache, tenant, venue) == Money(3_000_000, USD)
    assert source.reads == 2


async def test_requests_missing_at_once_share_one_read() -> None:
    # Given a slow scan and a venue nobody has read yet
    source, clock = CountingVolume(), Clock()
    source.gate, source.volume = asyncio.Event(), 500_000
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()

    # When 50 requests want it at once
    waiting = [asyncio.ensure_future(read(cache, tenant, venue)) for _ in range(50)]
    await asyncio.sleep(0)
    source.gate.set()
    answers = await asyncio.gather(*waiting)

    # Then one read answered all of them
    assert answers == [Money(500_000, USD)] * 50
    assert source.reads == 1


async def test_a_refresh_in_flight_is_not_started_twice() -> None:
    source, clock = CountingVolume(), Clock()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    await read(cache, tenant, venue)
    source.gate = asyncio.Event()
    clock.now = 90.0
    answers = []
    for _ in range(20):
        answers.append(await read(cache, tenant, venue))
        await asyncio.sleep(0)  # the refresh is under way, waiting on the slow scan
    assert answers == [Money(0, USD)] * 20
    assert source.reads == 2
    source.volume = 7_000
    source.gate.set()
    await asyncio.sleep(0)
    assert await read(cache, tenant, venue) == Money(7_000, USD)
    assert source.reads == 2


async def test_a_failed_refresh_keeps_the_answer_and_a_failed_first_read_raises() -> None:
    source, clock = CountingVolume(), Clock()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    source.volume = 1_000_000
    await read(cache, tenant, venue)
    source.fails = True
    clock.now = 61.0
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    await asyncio.sleep(0)
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    with pytest.raises(OSError, match="did not answer"):
        await read(cache, tenant, uuid.uuid4())


async def test_each_venue_and_tenant_has_its_own_entry() -> None:
    source = CountingVolume()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=Clock())
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    await read(cache, tenant, venue)
    await read(cache, tenant, uuid.uuid4())
    await read(cache, uuid.uuid4(), venue)
    assert source.reads == 3


async def test_a_zero_ttl_reads_every_time() -> None:
    source = CountingVolume()
    cache = CachedSalesVolume(source, ttl_seconds=0)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    await read(cache, tenant, venue)
    await read(cache, tenant, venue)
    assert source.reads == 2
