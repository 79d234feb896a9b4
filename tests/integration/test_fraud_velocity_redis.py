"""RedisVelocityCounter against a real Redis: the spec's limits trip at exactly their number."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from tests.conftest import Servers
from tt_fraud import (
    VelocityDimension,
    VelocityLimit,
    VelocityPolicy,
    VelocitySubjects,
    VelocityUnavailableError,
)
from tt_fraud.adapters import RedisVelocityCounter

SPEC = VelocityPolicy.spec_default()
T0 = 1_800_000_000_000  # ms; each test controls the clock
SECOND, MINUTE, HOUR, DAY = 1000, 60_000, 3_600_000, 86_400_000


@pytest.fixture
async def client(servers: Servers) -> AsyncIterator[aioredis.Redis]:
    redis = aioredis.Redis.from_url(servers.redis_url)
    yield redis
    await redis.aclose()


@pytest.fixture
def counter(client: aioredis.Redis) -> RedisVelocityCounter:
    return RedisVelocityCounter(client)


def subjects(
    tenant: str, user: str = "user-1", ip: str | None = None, card: str | None = None
) -> VelocitySubjects:
    return VelocitySubjects(tenant_id=tenant, user_id=user, ip=ip, card=card)


@pytest.fixture
def tenant() -> str:
    return f"tenant-{uuid.uuid4()}"


async def attempt(
    counter: RedisVelocityCounter,
    who: VelocitySubjects,
    now_ms: int,
    policy: VelocityPolicy = SPEC,
) -> tuple[bool, int, str | None]:
    verdict = await counter.check_and_record(
        who, policy, attempt_id=str(uuid.uuid4()), now_ms=now_ms
    )
    return verdict.allowed, verdict.retry_after_seconds, verdict.exceeded and verdict.exceeded.key


async def test_user_may_attempt_five_times_an_hour_and_the_sixth_waits(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant)
    for i in range(5):
        assert (await attempt(counter, who, T0 + i * MINUTE))[0]

    allowed, retry_after, limit = await attempt(counter, who, T0 + 10 * MINUTE)

    assert (allowed, limit) == (False, "user/3600s")
    assert retry_after == 50 * 60  # the first attempt leaves the hour at T0 + 60 min


async def test_user_may_attempt_twenty_times_a_day(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant)
    for i in range(20):  # 5 an hour, spread so the hourly limit never trips
        assert (await attempt(counter, who, T0 + i * 13 * MINUTE))[0], i

    allowed, retry_after, limit = await attempt(counter, who, T0 + 20 * 13 * MINUTE)

    assert (allowed, limit) == (False, "user/86400s")
    assert retry_after == (DAY - 20 * 13 * MINUTE) // SECOND


async def test_user_may_attempt_fifty_times_a_week(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant)
    for i in range(50):  # 8 a day (every 3 hours), under the hourly and daily limits
        assert (await attempt(counter, who, T0 + i * 3 * HOUR))[0], i

    allowed, _, limit = await attempt(counter, who, T0 + 50 * 3 * HOUR)

    assert (allowed, limit) == (False, "user/604800s")


async def test_ip_may_attempt_ten_times_a_minute_and_fifty_an_hour(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    for i in range(10):  # ten users behind one IP, in one minute
        who = subjects(tenant, user=f"u{i}", ip="203.0.113.7")
        assert (await attempt(counter, who, T0 + i * SECOND))[0]
    eleventh = subjects(tenant, user="u10", ip="203.0.113.7")
    allowed, retry_after, limit = await attempt(counter, eleventh, T0 + 30 * SECOND)
    assert (allowed, limit, retry_after) == (False, "ip/60s", 30)

    for i in range(10, 50):  # 40 more over the hour, 10 a minute at most
        who = subjects(tenant, user=f"u{i}", ip="203.0.113.7")
        assert (await attempt(counter, who, T0 + 2 * MINUTE + i * 10 * SECOND))[0], i
    allowed, _, limit = await attempt(counter, eleventh, T0 + 20 * MINUTE)
    assert (allowed, limit) == (False, "ip/3600s")


async def test_card_may_be_used_ten_times_a_day(counter: RedisVelocityCounter, tenant: str) -> None:
    users = ("alice", "bob", "carol")
    for i in range(10):
        who = subjects(tenant, user=users[i % 3], card="card-fp-1")
        assert (await attempt(counter, who, T0 + i * HOUR))[0], i

    allowed, _, limit = await attempt(
        counter, subjects(tenant, user="alice", card="card-fp-1"), T0 + 11 * HOUR
    )

    assert (allowed, limit) == (False, "card/86400s")


async def test_fourth_distinct_user_on_a_card_is_refused_but_a_known_user_is_not(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    for i, user in enumerate(("alice", "bob", "carol")):
        assert (await attempt(counter, subjects(tenant, user=user, card="c"), T0 + i * HOUR))[0]

    allowed, retry_after, limit = await attempt(
        counter, subjects(tenant, user="dave", card="c"), T0 + 4 * HOUR
    )
    assert (allowed, limit) == (False, "card_users/86400s")
    assert retry_after == 20 * 3600  # alice's use leaves the day at T0 + 24 h

    again = await attempt(counter, subjects(tenant, user="bob", card="c"), T0 + 5 * HOUR)
    assert again[0]


async def test_the_window_slides(counter: RedisVelocityCounter, tenant: str) -> None:
    who = subjects(tenant)
    for i in range(5):
        assert (await attempt(counter, who, T0 + i * MINUTE))[0]
    assert not (await attempt(counter, who, T0 + HOUR - 1))[0]

    # The first attempt (at T0) leaves the hour at T0 + 1 h exactly: room for one.
    assert (await attempt(counter, who, T0 + HOUR))[0]
    assert not (await attempt(counter, who, T0 + HOUR + 1))[0]
    assert (await attempt(counter, who, T0 + HOUR + MINUTE))[0]


async def test_refused_attempts_are_not_recorded(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant)
    for i in range(5):
        assert (await attempt(counter, who, T0 + i * SECOND))[0]
    for i in range(100):  # hammering while locked out does not extend the lockout
        allowed, _, _ = await attempt(counter, who, T0 + 10 * MINUTE + i * SECOND)
        assert not allowed

    verdict = await counter.check_and_record(
        who, SPEC, attempt_id="late", now_ms=T0 + HOUR + 5 * SECOND
    )

    assert verdict.allowed
    assert verdict.counts["user/3600s"] == 1
    assert verdict.counts["user/86400s"] == 6


async def test_the_same_attempt_id_is_counted_once(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant)
    first = await counter.check_and_record(who, SPEC, attempt_id="retry-me", now_ms=T0)
    again = await counter.check_and_record(who, SPEC, attempt_id="retry-me", now_ms=T0 + 5)

    assert first.allowed
    assert again.allowed
    assert again.counts["user/3600s"] == 1


async def test_fifty_concurrent_attempts_by_one_user_let_exactly_five_through(
    counter: RedisVelocityCounter, tenant: str
) -> None:
    who = subjects(tenant, ip="198.51.100.1", card="card-x")

    verdicts = await asyncio.gather(
        *(counter.check_and_record(who, SPEC, attempt_id=f"a{i}", now_ms=T0) for i in range(50))
    )

    assert sum(verdict.allowed for verdict in verdicts) == 5
    assert {v.exceeded for v in verdicts if not v.allowed} == {
        VelocityLimit(dimension=VelocityDimension.USER, window=timedelta(hours=1), limit=5)
    }


async def test_keys_share_the_tenant_hash_tag_and_expire(
    counter: RedisVelocityCounter, client: aioredis.Redis, tenant: str
) -> None:
    await attempt(counter, subjects(tenant, ip="192.0.2.1", card="card-y"), T0)

    keys = sorted([key.decode() async for key in client.scan_iter(match=f"tt:vel:{{{tenant}}}:*")])

    assert keys == [
        f"tt:vel:{{{tenant}}}:{suffix}"
        for suffix in ("card:card-y", "card_users:card-y", "ip:192.0.2.1", "user:user-1")
    ]
    ttl = {key: await client.pttl(key) for key in keys}
    assert 0 < ttl[f"tt:vel:{{{tenant}}}:user:user-1"] <= 7 * DAY
    assert 0 < ttl[f"tt:vel:{{{tenant}}}:ip:192.0.2.1"] <= HOUR


async def test_a_policy_from_json_is_enforced(counter: RedisVelocityCounter, tenant: str) -> None:
    policy = VelocityPolicy.from_json(
        {"limits": [{"dimension": "user", "windowSeconds": 60, "limit": 2}]}
    )
    who = subjects(tenant)

    results = [(await attempt(counter, who, T0 + i, policy))[0] for i in range(3)]

    assert results == [True, True, False]


async def test_redis_down_raises_velocity_unavailable(
    tenant: str, unreachable_redis: aioredis.Redis
) -> None:
    with pytest.raises(VelocityUnavailableError) as raised:
        await RedisVelocityCounter(unreachable_redis).check_and_record(
            subjects(tenant), SPEC, attempt_id="a", now_ms=T0
        )

    assert raised.value.code == "FRAUD_CHECK_UNAVAILABLE"
