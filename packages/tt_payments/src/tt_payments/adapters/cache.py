"""The Redis client (speed only: counters, queues, caches, locks; never the truth)."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

Client = aioredis.Redis


def create_client(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


async def ping(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
