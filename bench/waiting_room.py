"""Joins/s and status polls/s of the waiting room, through the library on a real Redis.

1. Opens an event (on sale now, --slots active slots) on the Redis at TT_REDIS_URL or
   redis://127.0.0.1:6379/0, under a fresh event id.
2. --joins users join from --concurrency concurrent tasks; prints joins/s and latency.
3. --polls status polls of random joined users (the heartbeat), same concurrency; prints
   polls/s and latency.

The library target calls WaitingRoom directly (one Lua script per call); the HTTP target
(the API's join/status endpoints) is meant to be a second ``Target`` next to it.

    ./dev bench waiting_room [--joins 10000] [--polls 20000] [--concurrency 32] [--slots 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis.asyncio as aioredis
from harness import LoadResult

from tt_high_demand import AccessClaims, ActivityAction, HighDemandConfig, WaitingRoom
from tt_high_demand.adapters.redis_waiting_room import RedisWaitingRoomStore


class Target(Protocol):
    """One way to reach the waiting room: join and poll as one user."""

    async def join(self, user_id: uuid.UUID) -> object: ...

    async def status(self, user_id: uuid.UUID) -> object: ...


class OpaqueBenchCodec:
    """Stands in for the service's JWT codec: only the few admitted users get a token, and
    signing is not what this benchmark measures."""

    def encode(self, claims: AccessClaims) -> str:
        return f"bench.{claims.queue_id}.{claims.jti}"

    def decode(self, token: str) -> AccessClaims:
        raise NotImplementedError("the benchmark never consumes tokens")


class CountingActivityLog:
    def __init__(self) -> None:
        self.count = 0

    async def record(  # noqa: PLR0917 - the ActivityLog port
        self,
        tenant_id: uuid.UUID,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        action: ActivityAction,
        metadata: Mapping[str, object],
        at: datetime,
    ) -> None:
        self.count += 1


class LibraryTarget:
    def __init__(self, client: aioredis.Redis, slots: int) -> None:
        self.config = HighDemandConfig(
            tenant_id=uuid.uuid4(),
            event_id=uuid.uuid4(),
            enabled=True,
            on_sale_at=datetime.now(UTC) - timedelta(seconds=1),
            active_slots=slots,
        )
        self.room = WaitingRoom(
            RedisWaitingRoomStore(client), OpaqueBenchCodec(), CountingActivityLog()
        )

    async def join(self, user_id: uuid.UUID) -> object:
        return await self.room.join(self.config, user_id)

    async def status(self, user_id: uuid.UUID) -> object:
        return await self.room.status(self.config, user_id)


async def drive(calls: Sequence[Callable[[], Awaitable[object]]], concurrency: int) -> LoadResult:
    """Run ``calls`` from ``concurrency`` tasks; an exception counts as a failure."""
    latencies: list[float] = []
    failures = 0
    remaining = iter(calls)

    async def worker() -> None:
        nonlocal failures
        for call in remaining:
            started = time.perf_counter()
            try:
                await call()
            except Exception:
                failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(len(calls), concurrency, time.perf_counter() - started, latencies, failures)


async def run(target: Target, *, joins: int, polls: int, concurrency: int) -> None:
    users = [uuid.uuid4() for _ in range(joins)]
    joined = await drive([lambda user=user: target.join(user) for user in users], concurrency)
    print(joined.report("waiting room join"))
    picks = random.choices(users, k=polls)
    polled = await drive([lambda user=user: target.status(user) for user in picks], concurrency)
    print(polled.report("waiting room status poll"))


async def run_library(args: argparse.Namespace) -> None:
    url = os.environ.get("TT_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = aioredis.Redis.from_url(url)
    try:
        target = LibraryTarget(client, args.slots)
        print(f"library on {url}, event {target.config.event_id}, {args.slots} slots")
        await run(target, joins=args.joins, polls=args.polls, concurrency=args.concurrency)
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--slots", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run_library(args))


if __name__ == "__main__":
    main()
