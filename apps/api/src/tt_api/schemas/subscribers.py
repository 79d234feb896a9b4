"""Bodies of the event subscriber admin routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from tt_api.schemas.catalog import Schema

EventType = Annotated[str, msgspec.Meta(min_length=3, max_length=100)]


class AddSubscriberRequest(Schema):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    event_types: Annotated[list[EventType], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    """The types delivered; empty: every type."""
    secret: Annotated[str, msgspec.Meta(min_length=24, max_length=200)] | None = None
    """The HMAC secret deliveries are signed with; omitted: one is generated."""


class SubscriberBody(Schema):
    id: str
    url: str
    event_types: list[str]
    created_at: dt.datetime | None


class AddSubscriberResponse(Schema):
    subscriber: SubscriberBody
    secret: str
    """Shown only in this answer: keep it where the receiver verifies signatures."""


class SubscribersResponse(Schema):
    subscribers: list[SubscriberBody]


class DeliveryBody(Schema):
    id: int
    subscriber_id: str
    event_id: str
    event_type: str
    ordering_key: str
    """The payment the event is about (else its aggregate): delivered in order per key."""
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveriesResponse(Schema):
    deliveries: list[DeliveryBody]


class RedriveRequest(Schema):
    ids: Annotated[list[int], msgspec.Meta(max_length=1000)] | None = None
    subscriber_id: uuid.UUID | None = None


class RedriveResponse(Schema):
    redriven: int
