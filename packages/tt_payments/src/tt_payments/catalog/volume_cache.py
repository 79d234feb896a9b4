"""A venue's trailing volume, reused for a short time.

Every quote and payment needs the venue's trailing 30-day completed volume to pick its fee
tier. Summing it per request is a range scan that grows with the venue's sales, on the
hottest path there is; a tier that lags a sale by a minute is harmless (tiers move at
$10,000 and $100,000 of volume). The amounts charged never come from this cache.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable

from cachetools import TTLCache

from tt_money import Currency, Money
from tt_payments.catalog.ports import SalesVolume


class CachedSalesVolume:
    """``SalesVolume`` that reuses an answer per venue and currency for ``ttl_seconds``."""

    def __init__(
        self,
        source: SalesVolume,
        *,
        ttl_seconds: float,
        max_venues: int = 100_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._cache: TTLCache[tuple[uuid.UUID, uuid.UUID, str], Money] | None = (
            TTLCache(maxsize=max_venues, ttl=ttl_seconds, timer=timer) if ttl_seconds > 0 else None
        )

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        if self._cache is None:
            return await self._source.completed_volume(tenant_id, venue_id, currency, since, until)
        key = (tenant_id, venue_id, currency.code)
        cached = self._cache.get(key)
        if cached is None:
            cached = await self._source.completed_volume(
                tenant_id, venue_id, currency, since, until
            )
            self._cache[key] = cached
        return cached
