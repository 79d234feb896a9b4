"""A venue's trailing volume, reused for a short time.

Every quote and payment needs the venue's trailing 30-day completed volume to pick its fee
tier. Summing it per request is a range scan that grows with the venue's sales, on the
hottest path there is; a tier that lags a sale by a minute or two is harmless (tiers move
at $10,000 and $100,000 of volume). The amounts charged never come from this cache.

One read at a time per venue and process, and none on a buyer's time once a venue is
known: after ``ttl_seconds`` the answer is still given for as long again while one
background read refreshes it; only a venue never read, or not read for twice the TTL,
waits, and every request waiting for the same venue shares that one read. Measured
(issue 14): when the entry expired, every payment in flight missed at once, and after
100,000 sales each of those misses was a 1 s scan: 21 of them in a minute, 21 s of the
database's time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable

import attrs
from cachetools import LRUCache

from tt_money import Currency, Money
from tt_payments.catalog.ports import SalesVolume

_log = logging.getLogger(__name__)

_Key = tuple[uuid.UUID, uuid.UUID, str]


@attrs.frozen
class _Known:
    volume: Money
    read_at: float


class CachedSalesVolume:
    """``SalesVolume`` that reuses an answer per venue and currency for ``ttl_seconds``,
    and refreshes it in the background for as long again (see the module)."""

    def __init__(
        self,
        source: SalesVolume,
        *,
        ttl_seconds: float,
        max_venues: int = 100_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._timer = timer
        self._known: LRUCache[_Key, _Known] = LRUCache(maxsize=max_venues)
        self._reading: dict[_Key, asyncio.Task[Money]] = {}

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        if self._ttl <= 0:
            return await self._source.completed_volume(tenant_id, venue_id, currency, since, until)
        key = (tenant_id, venue_id, currency.code)
        known = self._known.get(key)
        age = math.inf if known is None else self._timer() - known.read_at
        if known is not None and age < self._ttl:
            return known.volume
        reading = self._reading.get(key)
        if reading is not None and reading.get_loop() is not asyncio.get_running_loop():
            reading = None  # begun on a loop that has stopped since (a test's, say)
        if reading is None:
            source = self._source.completed_volume(tenant_id, venue_id, currency, since, until)
            reading = asyncio.ensure_future(self._read(key, source))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._finished(key, done))
        if known is not None and age < 2 * self._ttl:
            return known.volume  # the read goes on without this request
        # Shielded: a request that gives up does not cancel the read the others await.
        return await asyncio.shield(reading)

    async def _read(self, key: _Key, source: Awaitable[Money]) -> Money:
        volume = await source
        self._known[key] = _Known(volume, self._timer())
        return volume

    def _finished(self, key: _Key, done: asyncio.Task[Money]) -> None:
        if self._reading.get(key) is done:
            del self._reading[key]
        if not done.cancelled() and done.exception() is not None:
            # Whoever awaited it got the error; a background refresh keeps the answer it
            # had, and the next request past the TTL tries again.
            _log.warning("reading a venue's sales volume failed: %r", done.exception())
