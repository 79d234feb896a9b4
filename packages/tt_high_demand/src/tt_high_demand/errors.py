"""The errors of high-demand events, each carrying the spec's error ``code``.

The HTTP shell maps the codes to status codes (``WAITING_ROOM_UNAVAILABLE`` is a 503 with
``Retry-After: retry_after_seconds``); nothing here speaks HTTP.
"""

from __future__ import annotations

from tt_money.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
    TemporarilyUnavailableError,
)


class HighDemandConfigError(InvalidInputError):
    """Per-event waiting-room settings that cannot work (no slots, a naive on-sale time...)."""


class WaitingRoomUnavailableError(TemporarilyUnavailableError):
    """Redis, which holds the queue, cannot be reached.

    The waiting room fails closed: nobody joins, nobody is admitted and no access token is
    accepted until Redis answers again, because letting buyers through unqueued is exactly
    the crash and scalping the room exists to prevent.
    """

    default_code = "WAITING_ROOM_UNAVAILABLE"

    def __init__(self, message: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds)


class WaitingRoomDisabledError(ConflictError):
    """The event has no waiting room switched on, so there is nothing to join or poll."""

    default_code = "WAITING_ROOM_DISABLED"


class NotInQueueError(NotFoundError):
    """The user has no place in this event's waiting room (never joined, left or timed out)."""

    default_code = "NOT_IN_QUEUE"


class QueueTokenRequiredError(RefusedError):
    """A purchase for a high-demand event came without the waiting room's access token."""

    default_code = "QUEUE_TOKEN_REQUIRED"
    replayable = False  # the buyer queues, then retries the same purchase with a token


class InvalidAccessTokenError(RefusedError):
    """The access token is forged, malformed, expired, revoked, already used, or not this
    user's or this event's. One error for all of them: telling a caller which check failed
    helps only someone probing tokens."""

    default_code = "INVALID_ACCESS_TOKEN"
    replayable = False  # a retry with a fresh token may pass


class PurchaseLimitExceededError(RefusedError):
    """Buying ``requested`` more tickets would take a holding past one of the event's limits.

    ``current`` counts tickets already bought or in flight under that limit (0 for the
    per-order limit, which looks at this order alone).
    """

    default_code = "PURCHASE_LIMIT_EXCEEDED"

    def __init__(self, *, limit_name: str, limit: int, current: int, requested: int) -> None:
        if limit_name == "per_order":
            message = f"per_order limit {limit}: {requested} tickets requested in one order"
        else:
            message = (
                f"{limit_name} limit {limit} reached: {current} tickets bought or in flight, "
                f"{requested} requested"
            )
        super().__init__(message, details=((limit_name, message),))
        self.limit_name = limit_name
        self.limit = limit
        self.current = current
        self.requested = requested
