"""Bodies of the waiting-room and high-demand settings routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from tt_api.schemas.catalog import Schema

Positive = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class PurchaseLimitsBody(Schema):
    per_user: Positive = 4
    per_payment_method: Positive = 4
    per_address: Positive = 8
    per_order: Positive = 4


class PutHighDemandRequest(Schema):
    enabled: bool
    on_sale_at: dt.datetime
    """When the sale opens (with a UTC offset). Who joins before is shuffled then."""
    active_slots: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    """How many admitted buyers may hold an access token at once."""
    token_ttl_seconds: Annotated[int, msgspec.Meta(ge=60, le=3600)] = 600
    heartbeat_seconds: Annotated[int, msgspec.Meta(ge=15, le=900)] = 60
    """How long a waiting buyer may go without polling status before losing the place
    (answered as ``pollWithinSeconds``). Size it to the crowd: every waiting buyer polls
    once per period (docs/OPERATIONS.md, sizing an on-sale)."""
    purchase_limits: PurchaseLimitsBody = msgspec.field(default_factory=PurchaseLimitsBody)


class HighDemandBody(Schema):
    event_id: uuid.UUID
    enabled: bool
    on_sale_at: dt.datetime
    active_slots: int
    token_ttl_seconds: int
    heartbeat_seconds: int
    purchase_limits: PurchaseLimitsBody
    seed_commitment: str
    """SHA-256 (hex) of the draw's seed, published before the sale."""
    seed: str | None
    """The seed (hex), once the sale has opened: hash it to check the commitment."""


class HighDemandResponse(Schema):
    high_demand: HighDemandBody
    created: bool = False


class QueueStatusBody(Schema):
    event_id: uuid.UUID
    queue_id: str | None
    state: str
    """``before_sale``, ``waiting``, ``admitted`` or ``not_in_queue``."""
    position: int | None
    """1-based place among those still waiting; none before the sale's draw."""
    estimated_wait_seconds: int | None
    access_token: str | None
    """Once admitted: send it as ``x-access-token`` with the payment (one use)."""
    token_expires_at: dt.datetime | None
    seed_commitment: str
    poll_within_seconds: int
    """Poll at least this often or lose the place."""


class LeaveResponse(Schema):
    success: bool


class FairnessBody(Schema):
    event_id: uuid.UUID
    on_sale_at: dt.datetime
    seed_commitment: str
    seed: str | None
    presale_order: list[str]
    """Queue ids of everyone who joined before the sale, in drawn order (after it)."""
