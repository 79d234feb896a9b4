"""The waiting room in Redis: one Lua script per operation, so each is one atomic round trip.

Key layout (``P`` = ``<prefix>:{<event_id>}``; the hash tag keeps an event on one Redis
Cluster shard, which multi-key scripts need):

=====================  ======  ===========================================================
key                    type    content
=====================  ======  ===========================================================
``P:queue``            zset    waiting entries: queue_id -> draw key (< 2**48, pre-sale)
                               or 2**48 + join sequence (post-sale)
``P:seen``             zset    waiting entries: queue_id -> last poll (ms)
``P:users``            hash    queue_id -> user_id, for waiting and admitted entries
``P:admitted``         zset    admitted entries: queue_id -> end of the slot hold (ms)
``P:admitted_at``      hash    queue_id -> admission time (ms)
``P:tokens``           hash    queue_id -> "<jti> <token>", or "consumed" once spent
``P:state``            hash    seq (post-sale joins), drawn_at (ms), releases, held_ms
``P:drawn``            zset    the pre-sale entries present at the on-sale, by draw key
``P:jti:<jti>``        string  queue_id; lives as long as the hold (PX)
=====================  ======  ===========================================================

Every key but the jti ones is refreshed to expire ``retention`` after the event's last
join or poll. A jti key is good only while ``P:tokens`` still names that jti for its
entry, so an entry that leaves or expires makes its jti inert without touching it.

Scores are integers below 2**53, exact in a double. Lua numbers are doubles too and
``tostring`` would print them with 14 digits, so every number going back to Redis is
formatted with ``%.0f``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from tt_high_demand.config import HighDemandConfig, ms_from_datetime, ms_from_timedelta
from tt_high_demand.errors import WaitingRoomUnavailableError
from tt_high_demand.fairness import POST_SALE_BASE
from tt_high_demand.ports import ExpiredHold, Housekeeping, QueueMember, StoredToken, Visit

RETRY_AFTER_SECONDS = 5
DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000

# KEYS of the housekeeping scripts, in this order.
_EVENT_KEYS = ("queue", "seen", "users", "admitted", "admitted_at", "tokens", "state", "drawn")

# Shared by every script. KEYS[1..8] are _EVENT_KEYS; ARGV[1..6] are now, on_sale,
# heartbeat timeout, token ttl, active slots, retention (all ms but slots).
_PRELUDE = f"""
local QUEUE, SEEN, USERS, ADMITTED, ADMITTED_AT, TOKENS, STATE, DRAWN =
    KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local NOW, ON_SALE = tonumber(ARGV[1]), tonumber(ARGV[2])
local TIMEOUT, TTL, SLOTS = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local RETENTION = ARGV[6]
local POST_SALE = '{POST_SALE_BASE}'

local function fmt(n) return string.format('%.0f', n) end

-- Drop waiting entries last polled at or before `cutoff`; append queue_id, user_id pairs.
local function prune(cutoff, out)
    local gone = redis.call('ZRANGE', SEEN, '-inf', fmt(cutoff), 'BYSCORE')
    for _, q in ipairs(gone) do
        table.insert(out, q)
        table.insert(out, redis.call('HGET', USERS, q) or '')
        redis.call('ZREM', QUEUE, q)
        redis.call('ZREM', SEEN, q)
        redis.call('HDEL', USERS, q)
    end
end

-- Free an admitted entry's slot, counting how long it was held; its user_id, or nil.
local function free(q, held_until)
    local at = redis.call('HGET', ADMITTED_AT, q)
    if not redis.call('ZSCORE', ADMITTED, q) then return nil end
    local user = redis.call('HGET', USERS, q) or ''
    if at then
        redis.call('HINCRBY', STATE, 'releases', 1)
        redis.call('HINCRBY', STATE, 'held_ms', fmt(math.max(0, held_until - tonumber(at))))
    end
    redis.call('ZREM', ADMITTED, q)
    redis.call('HDEL', ADMITTED_AT, q)
    redis.call('HDEL', TOKENS, q)
    redis.call('HDEL', USERS, q)
    return user
end

-- Time-outs, the on-sale draw and expired holds; returns abandoned, expired.
local function tidy()
    local abandoned, expired = {{}}, {{}}
    if NOW >= ON_SALE and not redis.call('HGET', STATE, 'drawn_at') then
        -- Who was still here at the on-sale instant takes part in the draw.
        prune(ON_SALE - TIMEOUT, abandoned)
        redis.call('ZRANGESTORE', DRAWN, QUEUE, '-inf', '(' .. POST_SALE, 'BYSCORE')
        redis.call('HSET', STATE, 'drawn_at', fmt(NOW))
    end
    prune(NOW - TIMEOUT, abandoned)
    local over = redis.call('ZRANGE', ADMITTED, '-inf', fmt(NOW), 'BYSCORE', 'WITHSCORES')
    for i = 1, #over, 2 do
        local q = over[i]
        local spent = redis.call('HGET', TOKENS, q) == 'consumed'
        local user = free(q, tonumber(over[i + 1]))
        table.insert(expired, q)
        table.insert(expired, user or '')
        table.insert(expired, spent and 1 or 0)
    end
    return abandoned, expired
end

-- From the on-sale, admit from the head while a slot is free; queue_id, user_id pairs.
local function admit()
    local admitted = {{}}
    if NOW < ON_SALE then return admitted end
    local room = SLOTS - redis.call('ZCARD', ADMITTED)
    if room <= 0 then return admitted end
    local heads = redis.call('ZPOPMIN', QUEUE, room)
    for i = 1, #heads, 2 do
        local q = heads[i]
        redis.call('ZREM', SEEN, q)
        redis.call('ZADD', ADMITTED, fmt(NOW + TTL), q)
        redis.call('HSET', ADMITTED_AT, q, fmt(NOW))
        table.insert(admitted, q)
        table.insert(admitted, redis.call('HGET', USERS, q) or '')
    end
    return admitted
end

local function keep()
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], RETENTION) end
end
"""

# ARGV[7..10]: queue_id, user_id, join ('1'/'0'), draw key.
_VISIT = """
local q, user, join, draw = ARGV[7], ARGV[8], ARGV[9] == '1', ARGV[10]
local abandoned, expired = tidy()
local joined = 0
if join and not redis.call('ZSCORE', QUEUE, q) and not redis.call('ZSCORE', ADMITTED, q) then
    local score = draw
    if NOW >= ON_SALE or redis.call('HGET', STATE, 'drawn_at') then
        score = fmt(tonumber(POST_SALE) + redis.call('HINCRBY', STATE, 'seq', 1))
    end
    redis.call('ZADD', QUEUE, score, q)
    redis.call('HSET', USERS, q, user)
    joined = 1
end
if redis.call('ZSCORE', QUEUE, q) then redis.call('ZADD', SEEN, fmt(NOW), q) end
local admitted = admit()
local state, rank, hold, token = 'none', -1, '', ''
local r = redis.call('ZRANK', QUEUE, q)
if r then
    state = 'waiting'
    if NOW >= ON_SALE then rank = r end
else
    local h = redis.call('ZSCORE', ADMITTED, q)
    if h then
        state, hold = 'admitted', h
        token = redis.call('HGET', TOKENS, q) or ''
    end
end
local stats = redis.call('HMGET', STATE, 'releases', 'held_ms')
keep()
return {state, rank, hold, token, stats[1] or '0', stats[2] or '0', joined,
        abandoned, expired, admitted}
"""

# KEYS[9]: the jti key. ARGV[7..8]: queue_id, jti.
_KEEP_ISSUED = """
local q, jti, token = ARGV[7], ARGV[8], ARGV[9]
local hold = redis.call('ZSCORE', ADMITTED, q)
if not hold or tonumber(hold) <= NOW then return '' end
local current = redis.call('HGET', TOKENS, q)
if current then
    if current == 'consumed' then return '' end
    return current
end
local value = jti .. ' ' .. token
redis.call('HSET', TOKENS, q, value)
-- A lifetime, not a moment: the hold is on the service's clock, and Redis expiring the key
-- at that moment by its own clock would cut a hold short whenever the two disagree.
redis.call('SET', KEYS[9], q, 'PX', fmt(tonumber(hold) - NOW))
return value
"""

# KEYS[9]: the jti key. ARGV[7..8]: queue_id, jti.
_CONSUME = """
local q, jti = ARGV[7], ARGV[8]
if redis.call('GET', KEYS[9]) ~= q then return 0 end
local current = redis.call('HGET', TOKENS, q)
if not current or string.sub(current, 1, #jti + 1) ~= jti .. ' ' then return 0 end
local hold = redis.call('ZSCORE', ADMITTED, q)
if not hold or tonumber(hold) <= NOW then return 0 end
redis.call('DEL', KEYS[9])
redis.call('HSET', TOKENS, q, 'consumed')
-- The payment now has one more token TTL to report back before the slot frees itself, but
-- a slot is never held past two token TTLs from its admission: a buyer whose payments keep
-- failing (each re-arms the token) cannot keep it forever.
local at = tonumber(redis.call('HGET', ADMITTED_AT, q) or NOW)
redis.call('ZADD', ADMITTED, 'XX', fmt(math.min(NOW + TTL, at + 2 * TTL)), q)
return 1
"""

# ARGV[7]: queue_id.
_REARM = """
local q = ARGV[7]
local hold = redis.call('ZSCORE', ADMITTED, q)
if not hold or tonumber(hold) <= NOW then return '' end
if redis.call('HGET', TOKENS, q) ~= 'consumed' then return '' end
-- The next visit signs a fresh token, good until the hold ends (no later).
redis.call('HDEL', TOKENS, q)
keep()
return redis.call('HGET', USERS, q) or ''
"""

# KEYS[9]: the jti key. ARGV[7]: jti.
_REVOKE = """
local jti = ARGV[7]
local q = redis.call('GET', KEYS[9])
if not q then return {} end
redis.call('DEL', KEYS[9])
local current = redis.call('HGET', TOKENS, q)
if not current or string.sub(current, 1, #jti + 1) ~= jti .. ' ' then return {} end
local user = free(q, NOW)
if not user then return {} end
return {q, user}
"""

# ARGV[7]: queue_id.
_LEAVE = """
local q = ARGV[7]
if redis.call('ZSCORE', QUEUE, q) then
    redis.call('ZREM', QUEUE, q)
    redis.call('ZREM', SEEN, q)
    redis.call('HDEL', USERS, q)
    return 'waiting'
end
if free(q, NOW) then return 'admitted' end
return ''
"""

# ARGV[7]: queue_id.
_RELEASE = """
return free(ARGV[7], NOW) or ''
"""

_DRAW = """
local abandoned, expired = tidy()
local admitted = admit()
return {redis.call('ZRANGE', DRAWN, 0, -1), abandoned, expired, admitted}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _members(flat: Sequence[Any]) -> tuple[QueueMember, ...]:
    return tuple(
        QueueMember(_text(flat[i]), uuid.UUID(_text(flat[i + 1]))) for i in range(0, len(flat), 2)
    )


def _expired(flat: Sequence[Any]) -> tuple[ExpiredHold, ...]:
    return tuple(
        ExpiredHold(
            queue_id=_text(flat[i]),
            user_id=uuid.UUID(_text(flat[i + 1])),
            payment_started=int(flat[i + 2]) == 1,
        )
        for i in range(0, len(flat), 3)
    )


def _stored(value: Any) -> StoredToken | None:
    text = _text(value)
    if not text or text == "consumed":
        return None
    jti, _, token = text.partition(" ")
    return StoredToken(jti, token)


class RedisWaitingRoomStore:
    """``WaitingRoomStore`` on one Redis (or one Redis Cluster shard per event)."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "tt:wr",
        *,
        retention_ms: int = DEFAULT_RETENTION_MS,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._retention_ms = retention_ms

        def script(body: str) -> AsyncScript:
            return client.register_script(_PRELUDE + body)

        self._visit = script(_VISIT)
        self._save_token = script(_KEEP_ISSUED)
        self._consume = script(_CONSUME)
        self._revoke = script(_REVOKE)
        self._leave = script(_LEAVE)
        self._release = script(_RELEASE)
        self._rearm = script(_REARM)
        self._draw = script(_DRAW)

    def key(self, config: HighDemandConfig, name: str) -> str:
        """The full name of one of an event's keys (``queue``, ``jti:<jti>``...). The hash
        tag names tenant and event: event ids are chosen by each tenant and may collide,
        and one room must stay on one Redis Cluster shard."""
        return f"{self._prefix}:{{{config.tenant_id}:{config.event_id}}}:{name}"

    async def visit(
        self,
        config: HighDemandConfig,
        *,
        queue_id: str,
        user_id: uuid.UUID,
        now_ms: int,
        join: bool,
        draw_key: int,
    ) -> Visit:
        reply = await self._run(
            self._visit,
            config,
            now_ms,
            (),
            (queue_id, str(user_id), "1" if join else "0", str(draw_key)),
        )
        state, rank, hold, token, releases, held_ms, joined = reply[:7]
        state_text = _text(state)
        assert state_text in ("waiting", "admitted", "none")
        stored = _text(token)
        return Visit(
            state=state_text,  # type: ignore[arg-type]
            rank=int(rank) if int(rank) >= 0 else None,
            joined=int(joined) == 1,
            hold_until_ms=int(float(_text(hold))) if _text(hold) else None,
            token=_stored(stored),
            token_consumed=stored == "consumed",
            releases=int(releases),
            held_ms=int(held_ms),
            housekeeping=Housekeeping(
                abandoned=_members(reply[7]),
                expired=_expired(reply[8]),
                admitted=_members(reply[9]),
            ),
        )

    async def save_token(
        self, config: HighDemandConfig, *, queue_id: str, jti: str, token: str, now_ms: int
    ) -> StoredToken | None:
        reply = await self._run(
            self._save_token,
            config,
            now_ms,
            (self.key(config, f"jti:{jti}"),),
            (queue_id, jti, token),
        )
        return _stored(reply)

    async def consume_token(
        self, config: HighDemandConfig, *, queue_id: str, jti: str, now_ms: int
    ) -> bool:
        reply = await self._run(
            self._consume,
            config,
            now_ms,
            (self.key(config, f"jti:{jti}"),),
            (queue_id, jti),
        )
        return int(reply) == 1

    async def revoke_token(
        self, config: HighDemandConfig, *, jti: str, now_ms: int
    ) -> QueueMember | None:
        reply = await self._run(
            self._revoke, config, now_ms, (self.key(config, f"jti:{jti}"),), (jti,)
        )
        members = _members(reply)
        return members[0] if members else None

    async def leave(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> Literal["waiting", "admitted"] | None:
        was = _text(await self._run(self._leave, config, now_ms, (), (queue_id,)))
        if was == "waiting":
            return "waiting"
        if was == "admitted":
            return "admitted"
        return None

    async def release(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> QueueMember | None:
        user = _text(await self._run(self._release, config, now_ms, (), (queue_id,)))
        return QueueMember(queue_id, uuid.UUID(user)) if user else None

    async def rearm(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> QueueMember | None:
        user = _text(await self._run(self._rearm, config, now_ms, (), (queue_id,)))
        return QueueMember(queue_id, uuid.UUID(user)) if user else None

    async def presale_draw(
        self, config: HighDemandConfig, *, now_ms: int
    ) -> tuple[Sequence[str], Housekeeping]:
        drawn, abandoned, expired, admitted = await self._run(self._draw, config, now_ms, (), ())
        housekeeping = Housekeeping(
            abandoned=_members(abandoned), expired=_expired(expired), admitted=_members(admitted)
        )
        return tuple(_text(member) for member in drawn), housekeeping

    async def _run(
        self,
        script: AsyncScript,
        config: HighDemandConfig,
        now_ms: int,
        extra_keys: Sequence[str],
        extra_args: Sequence[str],
    ) -> Any:
        keys = [self.key(config, name) for name in _EVENT_KEYS]
        args = [
            str(now_ms),
            str(ms_from_datetime(config.on_sale_at)),
            str(ms_from_timedelta(config.heartbeat_timeout)),
            str(ms_from_timedelta(config.token_ttl)),
            str(config.active_slots),
            str(self._retention_ms),
        ]
        try:
            return await script(keys=[*keys, *extra_keys], args=[*args, *extra_args])
        except (RedisError, OSError) as error:
            raise WaitingRoomUnavailableError(
                f"the waiting room is unavailable ({type(error).__name__}); retry shortly",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error
