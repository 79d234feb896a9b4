"""The Redis client (speed only: counters, queues, caches, locks; never the truth)."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

Client = aioredis.Redis
MAX_CONNECTIONS = 64
"""Per process; Redis answers each script in tens of microseconds, so a few dozen
connections serve thousands of requests a second."""
POOL_WAIT_SECONDS = 5.0


def create_client(url: str, *, timeout_seconds: float) -> aioredis.Redis:
    """``timeout_seconds``: for connecting and for each answer (TT_REDIS_TIMEOUT_SECONDS)."""
    # A blocking pool: at an on-sale, hundreds of concurrent polls in one process wait a
    # moment for a connection instead of failing (a full non-blocking pool raises at once,
    # which the waiting room would take for Redis being down). One quick retry, then the
    # error: a real outage must surface as a 503 at once, not after seconds of backoff.
    # Waiting for a pooled connection never gives up sooner than a call itself would.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=max(POOL_WAIT_SECONDS, timeout_seconds),
        socket_connect_timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 1),
    )
    return aioredis.Redis.from_pool(pool)


async def ping(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
