"""Joins/s and status polls/s of the waiting room: through the library, and over HTTP.

Library target (on a real Redis):
1. Opens an event (on sale now, --slots active slots) on the Redis at TT_REDIS_URL or
   redis://127.0.0.1:6379/0, under a fresh event id.
2. --joins users join from --concurrency concurrent tasks; prints joins/s and latency.
3. --polls status polls of random joined users (the heartbeat), same concurrency; prints
   polls/s and latency.

HTTP target (the API's join/status endpoints, JWT per user, the service's SQL activity log):
1. Runs `tt serve` (embedded servers in a temporary data directory, or the servers in
   TT_DATABASE_URL / TT_REDIS_URL, migrated), puts a venue and an event and makes it
   high-demand: on sale a minute ago, --http-slots active slots (default: everyone is
   admitted, so a poll also signs and returns the access token on first sight).
2. --http-joins distinct users (tokens signed in this process) POST .../join, then
   --http-polls GET .../status of random joined users, from --concurrency clients.

Both targets run by default (--target library|http|both); each ends with one line
"waiting room, library: ..." / "waiting room, HTTP: ...".

    ./dev bench waiting_room [--target both] [--joins 10000] [--polls 20000] [--slots 100]
        [--http-joins 2000] [--http-polls 5000] [--http-slots 100000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
import redis.asyncio as aioredis
from harness import (
    LoadResult,
    Service,
    issue_token,
    issue_user_tokens,
    put_event,
    put_nashville_venue,
    tt_serve,
)

from tt_high_demand import AccessClaims, ActivityEntry, HighDemandConfig, WaitingRoom
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

    async def record(self, entries: Sequence[ActivityEntry]) -> None:
        self.count += len(entries)


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


class HttpTarget:
    """The API's join and status routes, each user with its own bearer token. A non-200
    answer raises, so the driver counts it as a failure; the states polls saw are counted."""

    def __init__(self, client: httpx.AsyncClient, event: str, tokens: Mapping[str, str]) -> None:
        self.client = client
        self.path = f"/api/v1/waiting-room/{event}"
        self.headers = {
            user: {"Authorization": f"Bearer {token}"} for user, token in tokens.items()
        }
        self.states: collections.Counter[str] = collections.Counter()
        self.refusals: collections.Counter[str] = collections.Counter()

    async def _call(self, method: str, path: str, user: uuid.UUID) -> object:
        response = await self.client.request(method, path, headers=self.headers[str(user)])
        if response.status_code != 200:
            self.refusals[f"{method} {path.rsplit('/', 1)[-1]} {response.status_code}"] += 1
            response.raise_for_status()
        state = response.json()["state"]
        self.states[state] += 1
        return state

    async def join(self, user_id: uuid.UUID) -> object:
        return await self._call("POST", f"{self.path}/join", user_id)

    async def status(self, user_id: uuid.UUID) -> object:
        return await self._call("GET", f"{self.path}/status", user_id)


async def run(
    target: Target, users: Sequence[uuid.UUID], *, polls: int, concurrency: int
) -> tuple[LoadResult, LoadResult]:
    joined = await drive([lambda user=user: target.join(user) for user in users], concurrency)
    print(joined.report("waiting room join"))
    picks = random.choices(users, k=polls)
    polled = await drive([lambda user=user: target.status(user) for user in picks], concurrency)
    print(polled.report("waiting room status poll"))
    return joined, polled


def summary(name: str, joined: LoadResult, polled: LoadResult) -> str:
    def latency(result: LoadResult) -> str:
        return (
            f"p50 {result.percentile(0.50):.1f} p95 {result.percentile(0.95):.1f} "
            f"p99 {result.percentile(0.99):.1f} ms"
        )

    return (
        f"waiting room, {name}: joins/s {joined.throughput:.0f} ({latency(joined)}), "
        f"polls/s {polled.throughput:.0f} ({latency(polled)}), "
        f"failures {joined.failures + polled.failures} "
        f"[{joined.requests} joins, {polled.requests} polls, concurrency {joined.concurrency}]"
    )


async def run_library(args: argparse.Namespace) -> str:
    url = os.environ.get("TT_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = aioredis.Redis.from_url(url)
    try:
        target = LibraryTarget(client, args.slots)
        print(f"library on {url}, event {target.config.event_id}, {args.slots} slots")
        users = [uuid.uuid4() for _ in range(args.joins)]
        joined, polled = await run(target, users, polls=args.polls, concurrency=args.concurrency)
    finally:
        await client.aclose()
    return summary(f"library ({args.slots} slots)", joined, polled)


HTTP_WARMUP_USERS = 20


def open_high_demand_event(service: Service, slots: int) -> tuple[str, str]:
    """A tenant and an event of it on sale since a minute ago with ``slots`` active slots."""
    tenant = str(uuid.uuid4())
    admin = {"Authorization": f"Bearer {issue_token(service.env, tenant)}"}
    event = put_event(service, admin, put_nashville_venue(service, admin))
    httpx.put(
        f"{service.url}/api/v1/admin/events/{event}/high-demand",
        headers=admin,
        timeout=10,
        json={
            "enabled": True,
            "onSaleAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "activeSlots": slots,
            "tokenTtlSeconds": 3600,
        },
    ).raise_for_status()
    return tenant, event


def run_http(args: argparse.Namespace) -> str:
    servers = "configured" if "TT_DATABASE_URL" in os.environ else "embedded"
    with tt_serve() as service:
        tenant, event = open_high_demand_event(service, args.http_slots)
        issuing = time.perf_counter()
        tokens = dict(issue_user_tokens(service, tenant, args.http_joins + HTTP_WARMUP_USERS))
        print(
            f"HTTP on {service.url} ({servers} servers), event {event}, {args.http_slots} "
            f"slots; {len(tokens)} user tokens signed in {time.perf_counter() - issuing:.1f} s"
        )
        users = [uuid.UUID(user) for user in tokens]
        warmup, timed = users[:HTTP_WARMUP_USERS], users[HTTP_WARMUP_USERS:]

        async def load() -> tuple[LoadResult, LoadResult, HttpTarget]:
            limits = httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            )
            async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=60) as client:
                target = HttpTarget(client, event, tokens)
                for user in warmup:
                    await target.join(user)
                    await target.status(user)
                target.states.clear()
                joined, polled = await run(
                    target, timed, polls=args.http_polls, concurrency=args.concurrency
                )
            return joined, polled, target

        joined, polled, target = asyncio.run(load())
    print(f"HTTP answers: states {dict(target.states)}, refusals {dict(target.refusals)}")
    return summary(f"HTTP ({servers} servers, {args.http_slots} slots)", joined, polled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--target", choices=("library", "http", "both"), default="both")
    parser.add_argument("--http-joins", type=int, default=2000)
    parser.add_argument("--http-polls", type=int, default=5000)
    parser.add_argument("--http-slots", type=int, default=100_000)
    args = parser.parse_args()
    lines = []
    if args.target in {"library", "both"}:
        lines.append(asyncio.run(run_library(args)))
    if args.target in {"http", "both"}:
        lines.append(run_http(args))
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
