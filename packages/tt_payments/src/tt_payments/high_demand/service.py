"""High-demand events: their settings, the waiting room, and the gate a payment passes.

An admin turns an event into a high-demand event (PUT .../high-demand): on-sale time,
active slots, token lifetime and purchase limits. Buyers then join the event's waiting
room, poll its status (the poll is their heartbeat) and, once admitted, get a one-time
access token; ``POST /payments/process`` for that event needs it (``x-access-token``).

The settings are the truth in PostgreSQL and are reused for ``cache_seconds`` (a change
reaches every API process within that time); the room lives in Redis and fails closed:
without Redis nobody joins and nobody buys a high-demand event (503, Retry-After).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable

import attrs
from cachetools import TTLCache

from tt_high_demand import (
    AccessClaims,
    FairnessReport,
    HighDemandConfig,
    NotInQueueError,
    PurchaseLimits,
    QueueStatus,
    WaitingRoom,
    new_seed,
)
from tt_money.errors import ConflictError, NotFoundError, TicketTokenError
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import EventNotFoundError
from tt_payments.catalog.ports import Catalog
from tt_payments.clock import utcnow
from tt_payments.high_demand.ports import HighDemandStore

_log = logging.getLogger(__name__)
DEFAULT_TOKEN_TTL = dt.timedelta(minutes=10)
DEFAULT_HEARTBEAT = dt.timedelta(seconds=60)


class WaitingRoomNotFoundError(NotFoundError):
    """The event has no open waiting room (not high-demand, or turned off)."""

    default_code = "WAITING_ROOM_NOT_FOUND"


@attrs.frozen(kw_only=True)
class HighDemandChange:
    """What an admin sets for an event (PUT /admin/events/{eventId}/high-demand)."""

    enabled: bool
    on_sale_at: dt.datetime
    active_slots: int
    token_ttl: dt.timedelta = DEFAULT_TOKEN_TTL
    limits: PurchaseLimits = attrs.field(factory=PurchaseLimits)
    heartbeat: dt.timedelta = DEFAULT_HEARTBEAT
    """How long a waiting buyer may go without polling before losing the place. Longer
    means fewer polls: 20,000 buyers polling every 60 s are 333 requests a second."""


class HighDemandService:
    def __init__(
        self,
        *,
        store: HighDemandStore,
        room: WaitingRoom,
        catalog: Catalog,
        cache_seconds: int = 2,
        clock: Callable[[], dt.datetime] = utcnow,
        cache_timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.room = room
        self._catalog = catalog
        self.clock = clock
        """The service's clock; the API renders its answers at this moment too."""
        self._cache: (
            TTLCache[tuple[uuid.UUID, uuid.UUID], tuple[HighDemandConfig | None]] | None
        ) = (
            TTLCache(maxsize=10_000, ttl=cache_seconds, timer=cache_timer)
            if cache_seconds > 0
            else None
        )

    # --- settings ---------------------------------------------------------------------

    async def configure(
        self, principal: Principal, event_id: uuid.UUID, change: HighDemandChange
    ) -> tuple[HighDemandConfig, bool]:
        """Admin only. Store the event's settings; (settings, True when new). The seed is
        drawn once, when the event first becomes high-demand, and never changes."""
        principal.require_role(Role.ADMIN)
        tenant = principal.tenant_id
        if await self._catalog.get_event(tenant, event_id) is None:
            raise EventNotFoundError(f"event {event_id} does not exist")
        existing = await self._store.get(tenant, event_id)
        now = self.clock()
        if existing is not None and existing.on_sale_at <= now < change.on_sale_at:
            # The draw has happened and its seed is public: a second pre-sale under it
            # could be predicted by anyone, and one under a new seed would break the
            # first draw's promise. A new sale is a new event.
            raise ConflictError(
                f"the sale of event {event_id} opened at {existing.on_sale_at.isoformat()}; "
                "its on-sale cannot move back into the future",
                code="ON_SALE_ALREADY_OPEN",
            )
        config = HighDemandConfig(
            tenant_id=tenant,
            event_id=event_id,
            enabled=change.enabled,
            on_sale_at=change.on_sale_at,
            active_slots=change.active_slots,
            token_ttl=change.token_ttl,
            heartbeat_timeout=change.heartbeat,
            limits=change.limits,
            seed=existing.seed if existing is not None else new_seed(),
        )
        stored = await self._store.put(config)
        if self._cache is not None:
            self._cache.pop((tenant, event_id), None)
        return stored, existing is None

    async def settings_of(self, principal: Principal, event_id: uuid.UUID) -> HighDemandConfig:
        principal.require_role(Role.ADMIN)
        config = await self._store.get(principal.tenant_id, event_id)
        if config is None:
            raise WaitingRoomNotFoundError(f"event {event_id} is not a high-demand event")
        return config

    async def config(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> HighDemandConfig | None:
        """The event's settings (cached for a moment: this is on every payment's path)."""
        key = (tenant_id, event_id)
        if self._cache is not None:
            # One lookup: between ``key in cache`` and ``cache[key]`` the entry could expire
            # (a KeyError, one payment in ~50,000 answered 500 under load).
            # The answer is kept in a 1-tuple, so a cached "not high-demand" (None) is a hit.
            hit = self._cache.get(key)
            if hit is not None:
                return hit[0]
        config = await self._store.get(tenant_id, event_id)
        if self._cache is not None:
            self._cache[key] = (config,)
        return config

    # --- the waiting room -------------------------------------------------------------

    async def join(
        self, principal: Principal, event_id: uuid.UUID
    ) -> tuple[QueueStatus, dt.timedelta]:
        """The buyer's place, and how often they must poll to keep it."""
        config = await self._open_room(principal, event_id)
        return await self.room.join(config, principal.user_id), config.heartbeat_timeout

    async def status(
        self, principal: Principal, event_id: uuid.UUID
    ) -> tuple[QueueStatus, dt.timedelta]:
        """The poll (the heartbeat): the place, and how often to poll again."""
        config = await self._open_room(principal, event_id)
        return await self.room.status(config, principal.user_id), config.heartbeat_timeout

    async def leave(self, principal: Principal, event_id: uuid.UUID) -> None:
        await self.room.leave(await self._open_room(principal, event_id), principal.user_id)

    async def fairness(
        self, principal: Principal, event_id: uuid.UUID
    ) -> tuple[HighDemandConfig, FairnessReport]:
        """The published seed commitment, and after the on-sale the seed and the drawn
        order of everyone who joined before it, so anyone can check the draw."""
        config = await self.config(principal.tenant_id, event_id)
        if config is None:
            raise WaitingRoomNotFoundError(f"event {event_id} is not a high-demand event")
        return config, await self.room.fairness(config)

    async def remove(self, principal: Principal, event_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Admin only: take ``user_id`` out of the room, revoking any access token."""
        principal.require_role(Role.ADMIN)
        config = await self.settings_of(principal, event_id)
        if not await self.room.remove(config, user_id):
            raise NotInQueueError(f"user {user_id} is not in the waiting room of {event_id}")

    async def _open_room(self, principal: Principal, event_id: uuid.UUID) -> HighDemandConfig:
        config = await self.config(principal.tenant_id, event_id)
        if config is None or not config.enabled:
            raise WaitingRoomNotFoundError(f"event {event_id} has no waiting room")
        return config

    # --- the payment's gate -----------------------------------------------------------

    async def admission(
        self, principal: Principal, event_id: uuid.UUID, token: str | None
    ) -> tuple[HighDemandConfig | None, AccessClaims | None]:
        """Before a payment's other checks: for a high-demand event, the buyer's access
        token must be this room's, theirs and unexpired (nothing is used up yet, so a
        refusal by a later check leaves the token for the retry). Returns the event's
        settings (None for an ordinary event) and the token's claims (None if no token
        was needed)."""
        config = await self.config(principal.tenant_id, event_id)
        if config is None or not config.enabled:
            return config, None
        return config, self.room.check(config, token, principal.user_id)

    async def use(
        self, config: HighDemandConfig, token: str | None, user_id: uuid.UUID
    ) -> AccessClaims:
        """Use the token up, just before the payment is recorded: one payment per token
        (the Redis delete decides between concurrent uses)."""
        return await self.room.consume(config, token, user_id)

    async def expel(self, config: HighDemandConfig, user_id: uuid.UUID) -> None:
        """A refused buyer leaves the room (best effort: without Redis the token's hold
        expires on its own)."""
        try:
            await self.room.remove(config, user_id)
        except TicketTokenError:
            _log.warning("could not take a refused buyer out of the waiting room")

    async def rearm(self, tenant_id: uuid.UUID, event_id: uuid.UUID, queue_id: str) -> bool:
        """A payment that used a token failed (declined, a 3-D Secure challenge failed or
        abandoned): the buyer keeps the slot and polls for a fresh token until the slot's
        hold ends. False when that is over (the slot is freed as ``release`` would).
        Best effort, like ``release``."""
        config = await self.config(tenant_id, event_id)
        if config is None:
            return False
        try:
            if await self.room.rearm(config, queue_id):
                return True
            await self.room.release(config, queue_id, "failed")
        except TicketTokenError:
            _log.warning("could not re-arm the waiting-room slot %s", queue_id)
        return False

    async def release(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, queue_id: str, *, purchased: bool
    ) -> None:
        """A payment that used a token settled (or was refused after using it): its slot
        goes to the next in line. Best effort, like ``expel``: without Redis the slot comes
        back when the token's hold expires, and the payment stands either way."""
        config = await self.config(tenant_id, event_id)
        if config is None:
            return
        try:
            await self.room.release(config, queue_id, "purchased" if purchased else "failed")
        except TicketTokenError:
            _log.warning("could not free the waiting-room slot %s", queue_id)
