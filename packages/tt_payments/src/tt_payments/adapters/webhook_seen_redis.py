"""The fast half of webhook deduplication: ``webhook:{provider}:{event id}`` for 7 days.

Never the truth: when Redis is down or forgets, the inbox's unique row still refuses the
duplicate; so errors here are logged and ignored.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

SEEN_TTL_SECONDS = 7 * 24 * 3600
_log = logging.getLogger(__name__)


class RedisSeenWebhooks:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def seen(self, provider: str, event_id: str) -> bool:
        try:
            return bool(await self._client.exists(_key(provider, event_id)))
        except (RedisError, OSError) as error:
            _log.warning("webhook dedupe: Redis unavailable, the inbox decides (%s)", error)
            return False

    async def remember(self, provider: str, event_id: str) -> None:
        try:
            await self._client.set(_key(provider, event_id), b"1", ex=SEEN_TTL_SECONDS)
        except (RedisError, OSError) as error:
            _log.warning("webhook dedupe: could not remember %s in Redis (%s)", event_id, error)


def _key(provider: str, event_id: str) -> str:
    return f"webhook:{provider}:{event_id}"
