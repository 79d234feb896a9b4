"""High-demand events: waiting room, one-time access tokens and purchase limits.

Domain only (stdlib, attrs, tt_money); the Redis store is ``tt_high_demand.adapters``.
"""

from tt_high_demand.config import (
    HighDemandConfig,
    PurchaseLimits,
    datetime_from_ms,
    ms_from_datetime,
    new_seed,
)
from tt_high_demand.errors import (
    HighDemandConfigError,
    InvalidAccessTokenError,
    NotInQueueError,
    PurchaseLimitExceededError,
    QueueTokenRequiredError,
    WaitingRoomDisabledError,
    WaitingRoomUnavailableError,
)
from tt_high_demand.fairness import draw_key, presale_order, queue_id, verify
from tt_high_demand.limits import PurchaseCounts, check_purchase
from tt_high_demand.ports import (
    PURCHASE_SCOPE,
    AccessClaims,
    AccessTokenCodec,
    ActivityAction,
    ActivityEntry,
    ActivityLog,
    ExpiredHold,
    Housekeeping,
    QueueMember,
    StoredToken,
    Visit,
    WaitingRoomStore,
)
from tt_high_demand.waiting_room import (
    FairnessReport,
    QueueState,
    QueueStatus,
    WaitingRoom,
    estimate_wait_seconds,
)

__all__ = [
    "PURCHASE_SCOPE",
    "AccessClaims",
    "AccessTokenCodec",
    "ActivityAction",
    "ActivityEntry",
    "ActivityLog",
    "ExpiredHold",
    "FairnessReport",
    "HighDemandConfig",
    "HighDemandConfigError",
    "Housekeeping",
    "InvalidAccessTokenError",
    "NotInQueueError",
    "PurchaseCounts",
    "PurchaseLimitExceededError",
    "PurchaseLimits",
    "QueueMember",
    "QueueState",
    "QueueStatus",
    "QueueTokenRequiredError",
    "StoredToken",
    "Visit",
    "WaitingRoom",
    "WaitingRoomDisabledError",
    "WaitingRoomStore",
    "WaitingRoomUnavailableError",
    "check_purchase",
    "datetime_from_ms",
    "draw_key",
    "estimate_wait_seconds",
    "ms_from_datetime",
    "new_seed",
    "presale_order",
    "queue_id",
    "verify",
]
