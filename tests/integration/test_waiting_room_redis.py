"""The waiting room against a real Redis: order, fairness, heartbeats, one-time tokens.

Each test works on its own random event, so tests never see each other's keys. Time is
a controlled clock; the codec is a small stdlib HS256 stand-in for the service's JWT codec.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs
import pytest
import redis.asyncio as aioredis

from tt_high_demand import (
    AccessClaims,
    ActivityAction,
    ActivityEntry,
    HighDemandConfig,
    InvalidAccessTokenError,
    QueueTokenRequiredError,
    WaitingRoom,
    WaitingRoomUnavailableError,
    presale_order,
    queue_id,
    verify,
)
from tt_high_demand.adapters.redis_waiting_room import RedisWaitingRoomStore

if TYPE_CHECKING:
    from tests.conftest import Servers

SECRET = b"waiting-room-test-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@attrs.define
class HmacTestCodec:
    """HS256 JWTs with the standard library, expiry checked against the test's clock."""

    clock: Callable[[], datetime]
    secret: bytes = SECRET

    def encode(self, claims: AccessClaims) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(
            json.dumps(
                {
                    "tid": str(claims.tenant_id),
                    "eid": str(claims.event_id),
                    "qid": claims.queue_id,
                    "sub": str(claims.user_id),
                    "scope": claims.scope,
                    "jti": claims.jti,
                    "iat": int(claims.issued_at.timestamp()),
                    "exp": int(claims.expires_at.timestamp()),
                }
            ).encode()
        )
        signature = hmac.new(self.secret, f"{header}.{payload}".encode(), hashlib.sha256)
        return f"{header}.{payload}.{_b64(signature.digest())}"

    def decode(self, token: str) -> AccessClaims:
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self.secret, f"{header}.{payload}".encode(), hashlib.sha256)
            if not hmac.compare_digest(_unb64(signature), expected.digest()):
                raise InvalidAccessTokenError("bad signature")
            body = json.loads(_unb64(payload))
            claims = AccessClaims(
                tenant_id=uuid.UUID(body["tid"]),
                event_id=uuid.UUID(body["eid"]),
                queue_id=body["qid"],
                user_id=uuid.UUID(body["sub"]),
                scope=body["scope"],
                jti=body["jti"],
                issued_at=datetime.fromtimestamp(body["iat"], UTC),
                expires_at=datetime.fromtimestamp(body["exp"], UTC),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidAccessTokenError("malformed access token") from error
        if claims.expires_at <= self.clock():
            raise InvalidAccessTokenError("expired access token")
        return claims


@attrs.frozen
class Activity:
    user_id: uuid.UUID
    action: ActivityAction
    metadata: Mapping[str, object]
    at: datetime


@attrs.define
class FakeActivityLog:
    rows: list[Activity] = attrs.Factory(list)

    async def record(self, entries: Sequence[ActivityEntry]) -> None:
        self.rows.extend(
            Activity(entry.user_id, entry.action, dict(entry.metadata), entry.at)
            for entry in entries
        )

    def users(self, action: ActivityAction) -> list[uuid.UUID]:
        return [row.user_id for row in self.rows if row.action == action]


@attrs.define
class Room:
    room: WaitingRoom
    store: RedisWaitingRoomStore
    clock: Clock
    codec: HmacTestCodec
    activity: FakeActivityLog


# The service's clock in these tests: fixed, and in the past on purpose. Every expiry the
# store leaves to Redis is a lifetime (PX), never a moment on the service's clock (PXAT),
# so Redis's own clock must not matter; a store that mixed the two would drop every token
# at once here, whenever the test runs.
START = datetime(2025, 6, 1, 18, 0, tzinfo=UTC)


def event_config(
    *, on_sale_in: timedelta = -timedelta(minutes=1), slots: int = 2
) -> HighDemandConfig:
    return HighDemandConfig(
        tenant_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        enabled=True,
        on_sale_at=START + on_sale_in,
        active_slots=slots,
    )


@pytest.fixture
async def redis_client(servers: Servers) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def room(redis_client: aioredis.Redis) -> Room:
    clock = Clock(START)
    store = RedisWaitingRoomStore(redis_client)
    codec = HmacTestCodec(clock)
    activity = FakeActivityLog()
    return Room(WaitingRoom(store, codec, activity, clock), store, clock, codec, activity)


async def test_ten_thousand_joins_after_the_on_sale_are_admitted_in_join_order(room: Room) -> None:
    # Given an event on sale with 100 slots and 10,000 people joining one after another
    config = event_config(slots=100)
    users = [uuid.uuid4() for _ in range(10_000)]
    for user in users:
        await room.room.join(config, user)
    # When slots free 100 at a time for 20 rounds, then the slots are raised to admit the rest
    for _ in range(20):
        for user in room.activity.users("admitted")[-100:]:
            await room.room.release(
                config, queue_id(config.tenant_id, config.event_id, user), "purchased"
            )
        await room.room.status(config, users[-1])
    await room.room.status(attrs.evolve(config, active_slots=20_000), users[-1])
    # Then everybody was admitted exactly once, in the order they joined
    assert room.activity.users("admitted") == users
    assert room.activity.users("joined") == users
    assert len(room.activity.users("purchased")) == 2_000


async def test_a_second_join_keeps_the_first_place(room: Room) -> None:
    config = event_config(slots=1)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for user in (first, second, third):
        await room.room.join(config, user)
    again = await room.room.join(config, second)
    assert (again.state, again.position) == ("waiting", 1)
    assert (await room.room.status(config, third)).position == 2
    assert room.activity.users("joined") == [first, second, third]


async def test_the_presale_draw_is_hidden_before_and_verifiable_after_the_on_sale(
    room: Room,
) -> None:
    # Given 50 people who join before the on-sale, some leaving and coming back
    config = event_config(on_sale_in=timedelta(seconds=30), slots=1)
    users = [uuid.uuid4() for _ in range(50)]
    for user in users:
        status = await room.room.join(config, user)
        assert (status.state, status.position) == ("before_sale", None)
        assert status.seed_commitment == config.seed_commitment
    for user in users[:10]:
        await room.room.leave(config, user)
        await room.room.join(config, user)
    before = await room.room.fairness(config)
    assert (before.seed, before.presale_queue_ids) == (None, ())
    # When the sale starts and a late joiner arrives
    room.clock.advance(seconds=31)
    late = uuid.uuid4()
    await room.room.join(config, late)
    report = await room.room.fairness(config)
    # Then the published seed reproduces the order, the late joiner comes after everyone
    assert report.seed == config.seed.hex()
    assert verify(report.seed, report.commitment, report.presale_queue_ids)
    expected = presale_order(
        config.seed, [queue_id(config.tenant_id, config.event_id, u) for u in users]
    )
    assert list(report.presale_queue_ids) == expected
    tampered = list(report.presale_queue_ids)
    tampered[0], tampered[1] = tampered[1], tampered[0]
    assert not verify(report.seed, report.commitment, tampered)
    by_queue_id = {queue_id(config.tenant_id, config.event_id, u): u for u in users}
    assert room.activity.users("admitted") == [by_queue_id[expected[0]]]
    for user in users:
        status = await room.room.status(config, user)
        if status.state == "waiting":
            assert status.position == expected.index(status.queue_id)
    assert (await room.room.status(config, late)).position == 50


async def test_only_one_of_a_hundred_concurrent_consumers_wins(room: Room) -> None:
    config = event_config(slots=1)
    buyer = uuid.uuid4()
    token = (await room.room.join(config, buyer)).access_token
    assert token is not None
    outcomes = await asyncio.gather(
        *(room.room.consume(config, token, buyer) for _ in range(100)), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, AccessClaims)]
    losers = [o for o in outcomes if isinstance(o, InvalidAccessTokenError)]
    assert (len(winners), len(losers)) == (1, 99)
    assert {loser.code for loser in losers} == {"INVALID_ACCESS_TOKEN"}
    # The slot stays held while the payment runs: admitted, no token to hand out again
    status = await room.room.status(config, buyer)
    assert (status.state, status.access_token) == ("admitted", None)


async def test_a_user_who_stops_polling_for_a_minute_loses_the_place(room: Room) -> None:
    # Given an event whose one slot is taken and two people waiting
    config = event_config(slots=1)
    holder, quiet, polling = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for user in (holder, quiet, polling):
        await room.room.join(config, user)
    # When one of them keeps polling for a minute and the other does not
    room.clock.advance(seconds=59.999)
    assert (await room.room.status(config, polling)).position == 2
    room.clock.advance(seconds=0.001)
    assert (await room.room.status(config, polling)).position == 1
    # Then the quiet one is gone and logged abandoned
    assert (await room.room.status(config, quiet)).state == "not_in_queue"
    assert room.activity.users("abandoned") == [quiet]
    assert room.activity.rows[-1].metadata["reason"] == "heartbeat_timeout"


async def test_release_frees_the_slot_for_the_next_in_line(room: Room) -> None:
    config = event_config(slots=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    token = (await room.room.join(config, first)).access_token
    assert (await room.room.join(config, second)).state == "waiting"
    claims = await room.room.consume(config, token, first)
    await room.room.release(config, claims.queue_id, "purchased")
    await room.room.release(config, claims.queue_id, "purchased")  # a retry frees nothing more
    status = await room.room.status(config, second)
    assert status.state == "admitted"
    assert status.access_token is not None
    assert room.activity.users("purchased") == [first]
    assert (await room.room.status(config, first)).state == "not_in_queue"


async def test_a_failed_payment_rearms_the_buyers_token_until_the_slot_ends(room: Room) -> None:
    config = event_config(slots=1)
    ttl = config.token_ttl
    first, second = uuid.uuid4(), uuid.uuid4()
    token = (await room.room.join(config, first)).access_token
    await room.room.join(config, second)
    claims = await room.room.consume(config, token, first)
    assert (await room.room.status(config, first)).access_token is None  # spent, in flight
    # The payment failed: the buyer keeps the slot and gets a fresh token
    assert await room.room.rearm(config, claims.queue_id)
    assert not await room.room.rearm(config, claims.queue_id)  # nothing spent to re-arm
    fresh = await room.room.status(config, first)
    assert fresh.state == "admitted"
    assert fresh.access_token is not None
    assert fresh.access_token != token
    with pytest.raises(InvalidAccessTokenError):
        await room.room.consume(config, token, first)  # the spent one stays spent
    assert (await room.room.status(config, second)).state == "waiting"
    assert room.activity.users("token_rearmed") == [first]
    # Failing again and again cannot hold the slot past two TTLs from the admission
    room.clock.advance(seconds=ttl.total_seconds() * 0.9)
    again = await room.room.consume(config, fresh.access_token, first)
    assert await room.room.rearm(config, again.queue_id)
    last = await room.room.status(config, first)
    assert last.token_expires_at is not None
    assert last.token_expires_at <= START + 2 * ttl
    room.clock.advance(seconds=ttl.total_seconds() * 1.2)  # past two TTLs
    assert not await room.room.rearm(config, again.queue_id)
    assert (await room.room.status(config, first)).state == "not_in_queue"  # the slot ended


async def test_an_unused_token_expires_with_its_slot(room: Room) -> None:
    config = event_config(slots=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    admitted = await room.room.join(config, first)
    assert admitted.token_expires_at == room.clock.now + timedelta(minutes=10)
    token = admitted.access_token
    room.clock.advance(minutes=9, seconds=59)
    waiting = await room.room.join(config, second)
    assert (waiting.state, waiting.position) == ("waiting", 1)
    room.clock.advance(seconds=1)
    assert (await room.room.status(config, second)).state == "admitted"
    assert (await room.room.status(config, first)).state == "not_in_queue"
    assert room.activity.rows[-2].metadata["reason"] == "token_expired"
    room.codec.clock = lambda: START  # even a codec that overlooks the expiry
    with pytest.raises(InvalidAccessTokenError):
        await room.room.consume(config, token, first)


async def test_an_admitted_user_gets_the_same_token_on_every_poll(room: Room) -> None:
    config = event_config(slots=1)
    buyer = uuid.uuid4()
    first = await room.room.join(config, buyer)
    room.clock.advance(seconds=30)
    polls = await asyncio.gather(*(room.room.status(config, buyer) for _ in range(20)))
    assert {poll.access_token for poll in polls} == {first.access_token}
    assert first.access_token is not None
    assert room.codec.decode(first.access_token).jti
    assert room.activity.users("admitted") == [buyer]


async def test_the_estimated_wait_follows_observed_slot_holds(room: Room) -> None:
    config = event_config(slots=2)
    users = [uuid.uuid4() for _ in range(6)]
    for user in users:
        await room.room.join(config, user)
    # Nothing freed yet: half the token TTL (300 s) per turnover of 2 slots
    assert (await room.room.status(config, users[-1])).estimated_wait_seconds == 2 * 300
    room.clock.advance(seconds=40)
    await room.room.release(
        config, queue_id(config.tenant_id, config.event_id, users[0]), "purchased"
    )
    status = await room.room.status(config, users[-1])
    assert (status.position, status.estimated_wait_seconds) == (3, 2 * 40)


@pytest.mark.parametrize(
    "forge",
    [
        "foreign user",
        "other event",
        "expired",
        "revoked",
        "legacy",
        "tampered",
        "missing",
        "garbage",
        "other tenant",
    ],
)
async def test_tokens_that_are_not_this_purchase_s_are_refused(room: Room, forge: str) -> None:
    config = event_config(slots=3)
    buyer, stranger = uuid.uuid4(), uuid.uuid4()
    token = (await room.room.join(config, buyer)).access_token
    assert token is not None
    user, target, error = buyer, config, InvalidAccessTokenError
    if forge == "foreign user":
        user = stranger
    elif forge == "other event":
        target = attrs.evolve(config, event_id=uuid.uuid4())
    elif forge == "other tenant":
        target = attrs.evolve(config, tenant_id=uuid.uuid4())
    elif forge == "expired":
        room.clock.advance(minutes=10)
    elif forge == "revoked":
        await room.room.revoke(config, room.codec.decode(token).jti)
        assert room.activity.users("token_revoked") == [buyer]
    elif forge == "legacy":
        token = f"access_{config.event_id}_{queue_id(config.tenant_id, config.event_id, buyer)}"
    elif forge == "tampered":
        header, payload, signature = token.split(".")
        body = json.loads(_unb64(payload))
        body["sub"] = str(stranger)
        token, user = f"{header}.{_b64(json.dumps(body).encode())}.{signature}", stranger
    elif forge == "missing":
        token, error = "", QueueTokenRequiredError
    elif forge == "garbage":
        token = "x.y.z"
    with pytest.raises(error) as refused:
        await room.room.consume(target, token, user)
    assert refused.value.code == error.default_code
    if forge not in ("expired", "revoked"):
        # The refusal spent nothing: the real buyer can still use the token once.
        good = (await room.room.status(config, buyer)).access_token
        assert (await room.room.consume(config, good, buyer)).user_id == buyer


async def test_leaving_gives_the_place_up(room: Room) -> None:
    config = event_config(slots=1)
    holder, leaver, next_one = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for user in (holder, leaver, next_one):
        await room.room.join(config, user)
    await room.room.leave(config, leaver)
    await room.room.leave(config, leaver)
    assert (await room.room.status(config, next_one)).position == 1
    await room.room.leave(config, holder)
    assert (await room.room.status(config, next_one)).state == "admitted"
    assert room.activity.users("left") == [leaver, holder]


async def test_the_waiting_room_fails_closed_when_redis_is_down(
    room: Room, unreachable_redis: aioredis.Redis
) -> None:
    config = event_config(slots=1)
    buyer = uuid.uuid4()
    token = (await room.room.join(config, buyer)).access_token
    closed = WaitingRoom(
        RedisWaitingRoomStore(unreachable_redis), room.codec, room.activity, room.clock
    )
    for attempt in (
        closed.join(config, buyer),
        closed.status(config, buyer),
        closed.consume(config, token, buyer),
        closed.fairness(config),
    ):
        with pytest.raises(WaitingRoomUnavailableError) as unavailable:
            await attempt
        assert unavailable.value.code == "WAITING_ROOM_UNAVAILABLE"
        assert unavailable.value.retry_after_seconds > 0


async def test_a_server_whose_clock_lags_cannot_slip_a_join_into_the_draw(room: Room) -> None:
    # Given a sale that has started: the draw is fixed by the first call after the on-sale
    config = event_config(on_sale_in=timedelta(seconds=1), slots=1)
    early, prompt, late = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await room.room.join(config, early)
    room.clock.advance(seconds=2)
    await room.room.join(config, prompt)  # the draw happens here; early takes the one slot
    # When an API server whose clock is 2 s behind lets someone "join before the sale"
    lagging = WaitingRoom(room.store, room.codec, room.activity, lambda: START)
    await lagging.join(config, late)
    # Then that join goes to the back, behind a post-sale joiner, and the draw is unchanged
    report = await room.room.fairness(config)
    assert list(report.presale_queue_ids) == [queue_id(config.tenant_id, config.event_id, early)]
    assert room.activity.users("admitted") == [early]
    assert (await room.room.status(config, prompt)).position == 1
    assert (await room.room.status(config, late)).position == 2
