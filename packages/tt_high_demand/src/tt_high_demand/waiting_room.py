"""The waiting room of a high-demand event: join, poll, leave, and one-time access tokens.

Life of an entry:

1. ``join``: before the on-sale the entry waits unordered (``before_sale``); its place is
   drawn at the on-sale from the event's seed (see ``fairness``). After the on-sale it
   goes to the back, in exact join order.
2. ``status`` is the heartbeat: a waiting entry not polled for ``heartbeat_timeout``
   (60 s) loses its place and is logged ``abandoned``.
3. From the on-sale, entries are admitted from the head while fewer than
   ``active_slots`` are admitted. An admitted user's next poll returns a signed access
   token (``token_ttl``, 10 minutes); polling again returns the same token.
4. The payment calls ``consume`` (one use, atomically) and, when it finishes,
   ``release``; a slot also frees when its hold expires or its token is revoked.

Estimated wait: ``ceil(position / active_slots)`` turnovers of the average slot hold
observed so far (time from admission to release or expiry, over every freed slot of the
event), the average taken as half the token TTL until a slot has been freed and never
below ``MIN_AVERAGE_HOLD``. It answers "about how long", never promises.

Redis down: every call raises ``WaitingRoomUnavailableError`` (fail closed).
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

import attrs

from tt_high_demand.config import (
    HighDemandConfig,
    datetime_from_ms,
    ms_from_datetime,
    ms_from_timedelta,
)
from tt_high_demand.errors import (
    InvalidAccessTokenError,
    QueueTokenRequiredError,
    WaitingRoomDisabledError,
)
from tt_high_demand.fairness import draw_key, queue_id
from tt_high_demand.ports import (
    PURCHASE_SCOPE,
    AccessClaims,
    AccessTokenCodec,
    ActivityAction,
    ActivityEntry,
    ActivityLog,
    Housekeeping,
    StoredToken,
    Visit,
    WaitingRoomStore,
)
from tt_money.clock import utcnow

MIN_AVERAGE_HOLD = timedelta(seconds=5)
LEGACY_PREFIX = "access_"

QueueState = Literal["waiting", "admitted", "not_in_queue", "before_sale"]


@attrs.frozen(kw_only=True)
class QueueStatus:
    """What a user sees when polling.

    ``position`` is 1-based among those still waiting, None before the on-sale (not drawn
    yet) and once admitted. An admitted entry whose token was already used by a payment in
    flight has ``access_token`` None.
    """

    queue_id: str
    state: QueueState
    position: int | None
    estimated_wait_seconds: int | None
    access_token: str | None
    token_expires_at: datetime | None
    seed_commitment: str


@attrs.frozen(kw_only=True)
class FairnessReport:
    """What anyone needs to check the pre-sale draw: ``fairness.verify(seed, commitment,
    presale_queue_ids)``. ``seed`` and the order are None/empty until the on-sale."""

    commitment: str
    seed: str | None
    presale_queue_ids: Sequence[str]


def estimate_wait_seconds(
    config: HighDemandConfig, *, position: int, releases: int, held_ms: int
) -> int:
    """The module docstring's rule: turnovers ahead of the entry times the average hold."""
    observed_ms = held_ms // releases if releases else ms_from_timedelta(config.token_ttl) // 2
    average_ms = max(observed_ms, ms_from_timedelta(MIN_AVERAGE_HOLD))
    turnovers = math.ceil(position / config.active_slots)
    return math.ceil(turnovers * average_ms / 1000)


class WaitingRoom:
    """The use cases of the waiting room over its three ports.

    Side effects: Redis (through the store) and the activity log. Every method is safe to
    repeat: joining twice keeps the place, polling twice returns the same token, releasing
    or leaving twice does nothing the second time.
    """

    def __init__(
        self,
        store: WaitingRoomStore,
        codec: AccessTokenCodec,
        activity: ActivityLog,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._codec = codec
        self._activity = activity
        self._clock = clock

    async def join(self, config: HighDemandConfig, user_id: uuid.UUID) -> QueueStatus:
        """Take a place (or keep the one held); logs ``joined`` for a new place."""
        return await self._visit(config, user_id, join=True)

    async def status(self, config: HighDemandConfig, user_id: uuid.UUID) -> QueueStatus:
        """Poll: the heartbeat that keeps the place, and the way to receive the token."""
        return await self._visit(config, user_id, join=False)

    async def leave(self, config: HighDemandConfig, user_id: uuid.UUID) -> None:
        """Give the place (or the admitted slot) up; logs ``left`` if there was one."""
        now = self._clock()
        entry = queue_id(config.tenant_id, config.event_id, user_id)
        was = await self._store.leave(config, queue_id=entry, now_ms=ms_from_datetime(now))
        if was is not None:
            await self._log(config, user_id, "left", {"queue_id": entry, "from": was}, now)

    def check(
        self, config: HighDemandConfig, token: str | None, user_id: uuid.UUID
    ) -> AccessClaims:
        """The token's claims, if it is a well-formed token of this room for this user:
        signature, expiry, tenant, event, user, queue entry and scope. Uses nothing up:
        ``consume`` does that. No token is ``QueueTokenRequiredError``; anything else
        wrong is ``InvalidAccessTokenError``."""
        if not token:
            raise QueueTokenRequiredError(
                f"event {config.event_id} is a high-demand event: join the waiting room first"
            )
        if token.startswith(LEGACY_PREFIX):
            # The old access_{event}_{queue} tokens were guessable; they never pass again.
            raise InvalidAccessTokenError("this access token format is no longer accepted")
        claims = self._codec.decode(token)
        if (
            claims.event_id != config.event_id
            or claims.tenant_id != config.tenant_id
            or claims.user_id != user_id
            or claims.scope != PURCHASE_SCOPE
            or claims.queue_id != queue_id(config.tenant_id, config.event_id, user_id)
            or claims.expires_at <= self._clock()
        ):
            raise InvalidAccessTokenError("the access token is not valid for this purchase")
        return claims

    async def consume(
        self, config: HighDemandConfig, token: str | None, user_id: uuid.UUID
    ) -> AccessClaims:
        """Spend the access token for one purchase; its claims when it was good.

        ``check`` first, then the jti is deleted in Redis atomically: of many concurrent
        calls with one token, exactly one succeeds; the others (and a used, revoked or
        expired token) get ``InvalidAccessTokenError``. The slot stays held (for another
        token TTL) until the payment calls ``release``.
        """
        claims = self.check(config, token, user_id)
        spent = await self._store.consume_token(
            config,
            queue_id=claims.queue_id,
            jti=claims.jti,
            now_ms=ms_from_datetime(self._clock()),
        )
        if not spent:
            raise InvalidAccessTokenError("the access token was already used, revoked or expired")
        return claims

    async def release(
        self,
        config: HighDemandConfig,
        queue_id: str,
        outcome: Literal["purchased", "failed"],
    ) -> None:
        """The payment behind an admitted entry finished: free its slot for the next in line.
        Logs ``purchased`` (or ``left`` with reason payment_failed) when a slot was freed;
        a second call finds nothing to free and logs nothing."""
        now = self._clock()
        member = await self._store.release(config, queue_id=queue_id, now_ms=ms_from_datetime(now))
        if member is None:
            return
        if outcome == "purchased":
            await self._log(config, member.user_id, "purchased", {"queue_id": queue_id}, now)
        else:
            metadata = {"queue_id": queue_id, "reason": "payment_failed"}
            await self._log(config, member.user_id, "left", metadata, now)

    async def rearm(self, config: HighDemandConfig, queue_id: str) -> bool:
        """The payment behind an admitted entry failed (a declined card, a 3-D Secure
        challenge failed or abandoned): the buyer keeps the slot and gets a fresh token on
        the next poll, until the slot's hold ends (at most two token TTLs from admission).
        Logs ``token_rearmed``; False (nothing changes) when the hold is over or the token
        was not spent."""
        now = self._clock()
        member = await self._store.rearm(config, queue_id=queue_id, now_ms=ms_from_datetime(now))
        if member is None:
            return False
        await self._log(config, member.user_id, "token_rearmed", {"queue_id": queue_id}, now)
        return True

    async def remove(self, config: HighDemandConfig, user_id: uuid.UUID) -> bool:
        """An operator takes a buyer out of the room (a bot caught, a chargeback account):
        their place or slot goes, and any access token they hold stops working at once.
        Logs ``token_revoked`` for an admitted buyer, ``left`` for a waiting one; False if
        the buyer was not in the room."""
        now = self._clock()
        entry = queue_id(config.tenant_id, config.event_id, user_id)
        was = await self._store.leave(config, queue_id=entry, now_ms=ms_from_datetime(now))
        if was is None:
            return False
        action: ActivityAction = "token_revoked" if was == "admitted" else "left"
        await self._log(config, user_id, action, {"queue_id": entry, "by": "operator"}, now)
        return True

    async def revoke(self, config: HighDemandConfig, jti: str) -> None:
        """Make a token unusable now and free its slot (a bot caught, an operator's call)."""
        now = self._clock()
        member = await self._store.revoke_token(config, jti=jti, now_ms=ms_from_datetime(now))
        if member is not None:
            metadata = {"queue_id": member.queue_id, "jti": jti}
            await self._log(config, member.user_id, "token_revoked", metadata, now)

    async def fairness(self, config: HighDemandConfig) -> FairnessReport:
        """The commitment always; from the on-sale on, the seed and the drawn order too."""
        now = self._clock()
        order, housekeeping = await self._store.presale_draw(config, now_ms=ms_from_datetime(now))
        await self._log_housekeeping(config, housekeeping, now)
        seed = config.published_seed(now)
        return FairnessReport(
            commitment=config.seed_commitment,
            seed=seed,
            presale_queue_ids=tuple(order) if seed is not None else (),
        )

    async def _visit(
        self, config: HighDemandConfig, user_id: uuid.UUID, *, join: bool
    ) -> QueueStatus:
        if not config.enabled:
            raise WaitingRoomDisabledError(f"event {config.event_id} has no waiting room")
        now = self._clock()
        entry = queue_id(config.tenant_id, config.event_id, user_id)
        visit = await self._store.visit(
            config,
            queue_id=entry,
            user_id=user_id,
            now_ms=ms_from_datetime(now),
            join=join,
            draw_key=draw_key(config.seed, entry),
        )
        if visit.joined:
            await self._log(config, user_id, "joined", {"queue_id": entry}, now)
        await self._log_housekeeping(config, visit.housekeeping, now)
        return await self._status_of(config, entry, user_id, visit, now)

    async def _status_of(
        self,
        config: HighDemandConfig,
        entry: str,
        user_id: uuid.UUID,
        visit: Visit,
        now: datetime,
    ) -> QueueStatus:
        blank = QueueStatus(
            queue_id=entry,
            state="not_in_queue",
            position=None,
            estimated_wait_seconds=None,
            access_token=None,
            token_expires_at=None,
            seed_commitment=config.seed_commitment,
        )
        if visit.state == "none":
            return blank
        if visit.state == "waiting":
            if visit.rank is None:
                return attrs.evolve(blank, state="before_sale")
            position = visit.rank + 1
            wait = estimate_wait_seconds(
                config, position=position, releases=visit.releases, held_ms=visit.held_ms
            )
            return attrs.evolve(
                blank, state="waiting", position=position, estimated_wait_seconds=wait
            )
        assert visit.hold_until_ms is not None  # admitted entries always have a hold
        expires_at = datetime_from_ms(visit.hold_until_ms)
        token = visit.token
        if token is None and not visit.token_consumed:
            token = await self._issue_token(config, entry, user_id, expires_at, now)
        return attrs.evolve(
            blank,
            state="admitted",
            estimated_wait_seconds=0,
            access_token=token.token if token is not None else None,
            token_expires_at=expires_at,
        )

    async def _issue_token(
        self,
        config: HighDemandConfig,
        entry: str,
        user_id: uuid.UUID,
        expires_at: datetime,
        now: datetime,
    ) -> StoredToken | None:
        """Sign a token for a newly admitted entry and keep its jti. When a concurrent poll
        kept one first, the store hands back that one and ours is never seen."""
        jti = secrets.token_urlsafe(16)
        claims = AccessClaims(
            tenant_id=config.tenant_id,
            event_id=config.event_id,
            queue_id=entry,
            user_id=user_id,
            jti=jti,
            issued_at=now,
            expires_at=expires_at,
        )
        return await self._store.save_token(
            config,
            queue_id=entry,
            jti=jti,
            token=self._codec.encode(claims),
            now_ms=ms_from_datetime(now),
        )

    async def _log_housekeeping(
        self, config: HighDemandConfig, housekeeping: Housekeeping, now: datetime
    ) -> None:
        """Everything one visit's housekeeping did, logged in one write."""
        entries: list[tuple[uuid.UUID, ActivityAction, Mapping[str, object]]] = []
        for member in housekeeping.abandoned:
            metadata = {"queue_id": member.queue_id, "reason": "heartbeat_timeout"}
            entries.append((member.user_id, "abandoned", metadata))
        for hold in housekeeping.expired:
            reason = "payment_not_released" if hold.payment_started else "token_expired"
            entries.append(
                (hold.user_id, "abandoned", {"queue_id": hold.queue_id, "reason": reason})
            )
        for member in housekeeping.admitted:
            entries.append((member.user_id, "admitted", {"queue_id": member.queue_id}))
        if entries:
            await self._activity.record(
                [_entry(config, user, action, metadata, now) for user, action, metadata in entries]
            )

    async def _log(
        self,
        config: HighDemandConfig,
        user_id: uuid.UUID,
        action: ActivityAction,
        metadata: Mapping[str, object],
        now: datetime,
    ) -> None:
        await self._activity.record([_entry(config, user_id, action, metadata, now)])


def _entry(
    config: HighDemandConfig,
    user_id: uuid.UUID,
    action: ActivityAction,
    metadata: Mapping[str, object],
    at: datetime,
) -> ActivityEntry:
    return ActivityEntry(
        tenant_id=config.tenant_id,
        event_id=config.event_id,
        user_id=user_id,
        action=action,
        metadata=metadata,
        at=at,
    )
