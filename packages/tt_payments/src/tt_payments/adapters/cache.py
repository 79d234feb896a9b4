"""The Redis client (speed only: counters, queues, caches, locks; never the truth)."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

Client = aioredis.Redis


def create_client(url: str) -> aioredis.Redis:
    # One quick retry, then the error: a Redis outage must surface as a 503 at once
    # (the waiting room fails closed), not after seconds of backoff.
    return aioredis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 1)
    )


async def ping(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
