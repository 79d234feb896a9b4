"""Nonces of signed internal requests, remembered in Redis for their replay window."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tt_payments.auth.internal import InternalAuthUnavailableError


class RedisNonceStore:
    def __init__(self, client: aioredis.Redis, *, prefix: str = "internal-nonce") -> None:
        self._client = client
        self._prefix = prefix

    async def claim(self, service: str, nonce: str, ttl_seconds: int) -> bool:
        try:
            fresh = await self._client.set(
                f"{self._prefix}:{service}:{nonce}", b"1", nx=True, ex=ttl_seconds
            )
        except (RedisError, OSError) as error:
            raise InternalAuthUnavailableError(
                "internal request replay protection is unavailable; retry shortly"
            ) from error
        return bool(fresh)
