"""The ``VelocityCounter`` port on Redis: sliding windows in sorted sets, one Lua script.

Layout, per tenant (the ``{tenant}`` hash tag keeps one tenant's keys in one Redis
Cluster slot, so the script may touch them all)::

    tt:vel:{<tenant>}:user:<user_id>         attempts: member attempt_id, score ms
    tt:vel:{<tenant>}:ip:<ip>                attempts
    tt:vel:{<tenant>}:card:<card>            attempts
    tt:vel:{<tenant>}:card_users:<card>      distinct users: member user_id, score = last use

Limits on the same subject share a key (user 1h, 1d and 1w all count ``user:<id>``); each
key expires after its longest window. Why one script: checking every limit and then
recording in separate commands lets two concurrent attempts both see room (50 parallel
attempts would all pass a 5/hour limit); inside one script Redis runs nothing else, so
exactly ``limit`` of them are let through, and a refused attempt writes nothing.
"""

from __future__ import annotations

from typing import Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tt_fraud.errors import VelocityUnavailableError
from tt_fraud.velocity import (
    VelocityDimension,
    VelocityLimit,
    VelocityPolicy,
    VelocitySubjects,
    VelocityVerdict,
)

__all__ = ["RedisVelocityCounter"]

# ARGV: now_ms, attempt_id, user_id, key count, then per key (kind, longest window ms),
# then limit count, then per limit (key index, window ms, limit).
# kind 'a': members are attempt ids; kind 'u': members are user ids (distinct users).
# Returns {allowed 0|1, index of the exceeded limit (1-based) or 0, wait ms, N per limit}.
_SCRIPT: Final = """
local now = tonumber(ARGV[1])
local attempt, user = ARGV[2], ARGV[3]
local nkeys = tonumber(ARGV[4])
local kinds, longest = {}, {}
local p = 5
for i = 1, nkeys do
  kinds[i] = ARGV[p]
  longest[i] = tonumber(ARGV[p + 1])
  p = p + 2
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - longest[i])
end
local nlimits = tonumber(ARGV[p])
p = p + 1
local result = {1, 0, 0}
local worst = 0
for j = 1, nlimits do
  local k, window, limit = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
  p = p + 3
  local key = KEYS[k]
  local member = attempt
  if kinds[k] == 'u' then member = user end
  local floor = now - window
  local count = redis.call('ZCOUNT', key, '(' .. floor, '+inf')
  local n = count + 1
  local seen = redis.call('ZSCORE', key, member)
  if seen and tonumber(seen) > floor then n = count end
  result[3 + j] = n
  if n > limit then
    local leaving = redis.call('ZRANGEBYSCORE', key, '(' .. floor, '+inf', 'WITHSCORES',
                               'LIMIT', n - limit - 1, 1)
    local wait = tonumber(leaving[2]) + window - now
    if wait > worst then
      worst = wait
      result[1], result[2], result[3] = 0, j, wait
    end
  end
end
if result[1] == 1 then
  for i = 1, nkeys do
    if kinds[i] == 'u' then
      redis.call('ZADD', KEYS[i], 'GT', now, user)
    else
      redis.call('ZADD', KEYS[i], 'NX', now, attempt)
    end
    redis.call('PEXPIRE', KEYS[i], longest[i])
  end
end
return result
"""


class RedisVelocityCounter:
    """Checks and records payment attempts in one Redis round trip per attempt."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "tt:vel") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_SCRIPT)

    async def check_and_record(
        self,
        subjects: VelocitySubjects,
        policy: VelocityPolicy,
        *,
        attempt_id: str,
        now_ms: int,
    ) -> VelocityVerdict:
        """See ``tt_fraud.ports.VelocityCounter``. Raises ``VelocityUnavailableError``."""
        keys: list[str] = []
        kinds: list[str] = []
        longest: list[int] = []
        applied: list[tuple[int, VelocityLimit]] = []
        for limit in policy.limits:
            subject = subjects.subject_of(limit.dimension)
            if subject is None:
                continue
            key = f"{self._prefix}:{{{subjects.tenant_id}}}:{limit.dimension.value}:{subject}"
            if key not in keys:
                keys.append(key)
                kinds.append("u" if limit.dimension is VelocityDimension.CARD_USERS else "a")
                longest.append(0)
            index = keys.index(key)
            longest[index] = max(longest[index], limit.window_ms)
            applied.append((index, limit))
        if not applied:
            return VelocityVerdict(allowed=True, exceeded=None, retry_after_seconds=0, counts={})
        args: list[str | int] = [now_ms, attempt_id, subjects.user_id, len(keys)]
        for kind, window_ms in zip(kinds, longest, strict=True):
            args += [kind, window_ms]
        args.append(len(applied))
        for index, limit in applied:
            args += [index + 1, limit.window_ms, limit.limit]
        try:
            raw = await self._script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as error:
            raise VelocityUnavailableError(
                "velocity limits cannot be checked: Redis did not answer"
            ) from error
        allowed, exceeded_index, wait_ms, *positions = (int(value) for value in raw)
        counts = {limit.key: n for (_, limit), n in zip(applied, positions, strict=True)}
        if allowed:
            return VelocityVerdict(
                allowed=True, exceeded=None, retry_after_seconds=0, counts=counts
            )
        return VelocityVerdict(
            allowed=False,
            exceeded=applied[exceeded_index - 1][1],
            retry_after_seconds=max(1, -(-wait_ms // 1000)),
            counts=counts,
        )
