"""The fee tier's volume is reused per venue for the configured time, then read again."""

from __future__ import annotations

import datetime as dt
import uuid

from tt_money import USD, Currency, Money
from tt_payments.catalog.volume_cache import CachedSalesVolume

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


class CountingVolume:
    def __init__(self) -> None:
        self.reads = 0
        self.volume = 0

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        self.reads += 1
        return Money(self.volume, currency)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def read(cache: CachedSalesVolume, tenant: uuid.UUID, venue: uuid.UUID) -> Money:
    return await cache.completed_volume(tenant, venue, USD, NOW - dt.timedelta(days=30), NOW)


async def test_volume_is_reused_within_the_ttl_and_read_again_after_it() -> None:
    source, clock = CountingVolume(), Clock()
    cache = CachedSalesVolume(source, ttl_seconds=60, timer=clock)
    tenant, venue = uuid.uuid4(), uuid.uuid4()
    source.volume = 1_000_000
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    source.volume = 2_000_000
    clock.now = 59.0
    assert await read(cache, tenant, venue) == Money(1_000_000, USD)
    assert source.reads == 1
    clock.now = 61.0
    assert await read(cache, tenant, venue) == Money(2_000_000, USD)
    assert source.reads == 2


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
