"""What the waiting room needs from the outside: a token codec, a queue store, an activity log.

The codec (PyJWT) and the activity log (SQL) live with the service layer; the store's one
implementation is ``adapters.redis_waiting_room``. The value types the store hands back are
here too, so the service and the adapter agree on them without importing each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

import attrs

from tt_high_demand.config import HighDemandConfig

PURCHASE_SCOPE = "purchase"

ActivityAction = Literal[
    "joined", "admitted", "abandoned", "left", "purchased", "token_revoked", "token_rearmed"
]


@attrs.frozen(kw_only=True)
class AccessClaims:
    """What an access token says: this user may buy for this event until ``expires_at``,
    once (``jti`` is the single-use handle kept in Redis)."""

    tenant_id: uuid.UUID
    event_id: uuid.UUID
    queue_id: str
    user_id: uuid.UUID
    scope: str = PURCHASE_SCOPE
    jti: str
    issued_at: datetime
    expires_at: datetime


class AccessTokenCodec(Protocol):
    def encode(self, claims: AccessClaims) -> str: ...

    def decode(self, token: str) -> AccessClaims:
        """The claims of a token we signed; ``InvalidAccessTokenError`` when the signature
        is wrong, the token expired or it is not a token of ours at all."""
        ...


@attrs.frozen(kw_only=True)
class ActivityEntry:
    """One row of waiting_room_activity."""

    tenant_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    action: ActivityAction
    metadata: Mapping[str, object]
    at: datetime


class ActivityLog(Protocol):
    async def record(self, entries: Sequence[ActivityEntry]) -> None:
        """Write ``entries`` together (one round trip): the first poll after an on-sale
        may admit and time out thousands of buyers at once."""
        ...


@attrs.frozen
class QueueMember:
    """An entry the store moved on its own (admitted, timed out...), for the activity log."""

    queue_id: str
    user_id: uuid.UUID


@attrs.frozen(kw_only=True)
class ExpiredHold:
    """An admitted entry whose slot ran out before anyone released it.
    ``payment_started`` tells an unused token from a payment that never reported back."""

    queue_id: str
    user_id: uuid.UUID
    payment_started: bool


@attrs.frozen(kw_only=True)
class Housekeeping:
    """What the store did on the way, in order: the service logs each of these once."""

    abandoned: Sequence[QueueMember] = ()
    expired: Sequence[ExpiredHold] = ()
    admitted: Sequence[QueueMember] = ()


@attrs.frozen
class StoredToken:
    jti: str
    token: str


@attrs.frozen(kw_only=True)
class Visit:
    """One entry as the store sees it after a join or a poll.

    ``rank`` is 0-based among the entries still waiting, None before the on-sale (the
    order is not drawn yet and must not leak). ``hold_until_ms`` is when an admitted
    entry's slot (and its token) expires. ``releases`` / ``held_ms`` are the event's slot
    turnover so far, for the wait estimate.
    """

    state: Literal["waiting", "admitted", "none"]
    rank: int | None
    joined: bool
    hold_until_ms: int | None
    token: StoredToken | None
    token_consumed: bool
    releases: int
    held_ms: int
    housekeeping: Housekeeping


class WaitingRoomStore(Protocol):
    """The queue of one event at a time, atomic per call. Times are milliseconds since the
    epoch from the service's clock. Every method raises ``WaitingRoomUnavailableError`` when
    the store cannot answer.

    Every call first does the event's housekeeping: drop waiting entries not polled for
    ``heartbeat_timeout``, draw the pre-sale order once the sale starts, free slots whose
    hold ran out and, from the sale on, admit from the head while a slot is free.
    """

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
        """Join (when ``join``; a second join keeps the first place) and/or poll: the poll
        is the entry's heartbeat. ``draw_key`` is the entry's score if it joins before the
        sale; after it, the store scores by a per-event join sequence."""
        ...

    async def save_token(
        self, config: HighDemandConfig, *, queue_id: str, jti: str, token: str, now_ms: int
    ) -> StoredToken | None:
        """Keep the token of an admitted entry (jti expiring with the hold). If a token is
        already kept, return that one instead: concurrent polls get one token. None when
        the entry is no longer admitted, or its token was already consumed."""
        ...

    async def consume_token(
        self, config: HighDemandConfig, *, queue_id: str, jti: str, now_ms: int
    ) -> bool:
        """Delete the jti if it is the entry's live token: True for exactly one caller."""
        ...

    async def revoke_token(
        self, config: HighDemandConfig, *, jti: str, now_ms: int
    ) -> QueueMember | None:
        """Delete the jti and free its entry's slot; None when the jti is not live."""
        ...

    async def leave(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> Literal["waiting", "admitted"] | None:
        """Remove the entry wherever it is; what it was, or None when it was not there."""
        ...

    async def release(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> QueueMember | None:
        """Free an admitted entry's slot (its payment finished); None when not admitted."""
        ...

    async def rearm(
        self, config: HighDemandConfig, *, queue_id: str, now_ms: int
    ) -> QueueMember | None:
        """An admitted entry whose token a failed payment spent may have a fresh one (the
        next visit signs it), until its hold ends; None when it is not admitted, its hold
        is over, or its token is not spent."""
        ...

    async def presale_draw(
        self, config: HighDemandConfig, *, now_ms: int
    ) -> tuple[Sequence[str], Housekeeping]:
        """The pre-sale entries present at the on-sale, in drawn order (empty before it)."""
        ...
