"""Subscribers, deliveries, and what a dispatch pass did."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping

import attrs

from tt_money.errors import NotFoundError


class SubscriberNotFoundError(NotFoundError):
    default_code = "SUBSCRIBER_NOT_FOUND"


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    """Not yet answered 2xx; due at ``next_attempt_at``."""
    DELIVERED = "delivered"
    DEAD = "dead"
    """Out of attempts: waits for a redrive (later events of its payment wait with it)."""


@attrs.frozen(kw_only=True)
class Subscriber:
    tenant_id: uuid.UUID
    id: uuid.UUID
    url: str
    event_types: tuple[str, ...]
    """The types it receives; empty: every type."""
    secret: str = attrs.field(repr=False)
    """The HMAC secret its deliveries are signed with."""
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class Delivery:
    """A due delivery, claimed for sending."""

    tenant_id: uuid.UUID
    id: int
    subscriber_id: uuid.UUID
    url: str
    secret: str = attrs.field(repr=False)
    event_id: uuid.UUID
    event_type: str
    ordering_key: uuid.UUID
    """The payment the event is about (``data.paymentId``), else its aggregate: one
    subscriber gets the events of one key in the order they were committed."""
    envelope: Mapping[str, object]
    """The event as the broker's consumers get it (``OutboxEvent.envelope``)."""
    attempts: int
    """Failed attempts so far."""


@attrs.frozen(kw_only=True)
class DeliveryView:
    """A delivery as an operator sees it."""

    id: int
    subscriber_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    ordering_key: uuid.UUID
    status: DeliveryStatus
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class SendResult:
    status: int | None
    """The HTTP status the subscriber answered; None when there was no answer."""
    error: str | None = None
    """Why there was no answer (timeout, refused, closed), or what a non-2xx said."""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@attrs.frozen(kw_only=True)
class DispatchReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
