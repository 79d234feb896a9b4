"""The simulated processor's documents in Redis, shared by every process of one service.

Each document is one string key, ``<prefix>:<key>``, kept for ``ttl_seconds`` after its
last write (the embedded default: TT_SIMULATED_RETAIN_HOURS). ``update`` is optimistic:
it WATCHes the keys it reads and writes in MULTI/EXEC, reading again when another process
moved one of them meanwhile. Redis failing is the processor not answering:
``ProviderUnavailableError``, an outcome the caller must treat as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from tt_payments.providers.simulator_store import Change
from tt_payments.providers.types import ProviderUnavailableError

__all__ = ["RedisSimulatorStore"]

_SCAN_BATCH = 500


class RedisSimulatorStore:
    def __init__(
        self, client: aioredis.Redis, *, ttl_seconds: int, prefix: str = "simulated-processor"
    ) -> None:
        if isinstance(ttl_seconds, bool) or ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be a positive int, not {ttl_seconds!r}")
        self._client = client
        self._ttl = ttl_seconds
        self._prefix = prefix + ":"

    async def get(self, key: str) -> str | None:
        try:
            value = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from error
        return _text(value)

    async def update(self, keys: Sequence[str], change: Change) -> None:
        watched = [self._prefix + key for key in keys]
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(*watched)
                        current = await pipe.mget(watched)
                        writes = change([_text(value) for value in current])
                        if not writes:
                            return
                        pipe.multi()  # type: ignore[no-untyped-call]
                        for key, document in writes.items():
                            pipe.set(self._prefix + key, document, ex=self._ttl)
                        await pipe.execute()
                        return
                    except WatchError:
                        continue
        except (RedisError, OSError) as error:
            raise _unavailable(error) from error

    async def documents(self, prefix: str) -> list[str]:
        found: list[str] = []
        try:
            batch: list[bytes] = []
            async for key in self._client.scan_iter(
                match=self._prefix + prefix + "*", count=_SCAN_BATCH
            ):
                batch.append(key)
                if len(batch) == _SCAN_BATCH:
                    found.extend(await self._values(batch))
                    batch = []
            if batch:
                found.extend(await self._values(batch))
        except (RedisError, OSError) as error:
            raise _unavailable(error) from error
        return found

    async def _values(self, keys: list[bytes]) -> list[str]:
        # A key can expire between the scan and the read: skip it.
        return [text for value in await self._client.mget(keys) if (text := _text(value))]


def _text(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode()


def _unavailable(error: BaseException) -> ProviderUnavailableError:
    return ProviderUnavailableError(f"the simulated processor's Redis did not answer: {error}")
