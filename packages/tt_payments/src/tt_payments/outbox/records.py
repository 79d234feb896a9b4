"""What the outbox holds and reports: committed events, dead letters, its status."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping

import attrs

from tt_money.errors import TicketTokenError

__all__ = [
    "ENVELOPE_VERSION",
    "DeadLetter",
    "OutboxEvent",
    "OutboxStatus",
    "PublisherUnavailableError",
]

ENVELOPE_VERSION = 1


class PublisherUnavailableError(TicketTokenError):
    """The broker cannot be reached or did not answer: retry later, count no attempt."""

    default_code = "EVENT_BROKER_UNAVAILABLE"


@attrs.frozen(kw_only=True)
class OutboxEvent:
    """One committed, unpublished outbox row."""

    tenant_id: uuid.UUID
    row_id: int
    """``outbox.id``: the row, not the event (a redriven event gets a new row)."""
    event_id: uuid.UUID
    event_type: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    data: Mapping[str, object]
    occurred_at: dt.datetime
    attempts: int
    """Publications tried so far (failed ones, since a published row is never claimed)."""

    def envelope(self) -> dict[str, object]:
        """The versioned envelope consumers receive (camelCase, like the API)."""
        return {
            "id": str(self.event_id),
            "type": self.event_type,
            "version": ENVELOPE_VERSION,
            "occurredAt": self.occurred_at.isoformat(),
            "tenantId": str(self.tenant_id),
            "aggregateType": self.aggregate_type,
            "aggregateId": str(self.aggregate_id),
            "data": dict(self.data),
        }

    def body(self) -> bytes:
        return json.dumps(self.envelope(), separators=(",", ":"), sort_keys=True).encode()


@attrs.frozen(kw_only=True)
class DeadLetter:
    """An event that failed ``MAX_ATTEMPTS`` times, as ``outbox_dlq`` keeps it."""

    id: int
    tenant_id: uuid.UUID
    original_id: int
    event_id: uuid.UUID
    event_type: str
    attempts: int
    last_error: str | None
    occurred_at: dt.datetime
    moved_at: dt.datetime


@attrs.frozen(kw_only=True)
class OutboxStatus:
    """What an operator asks first: is the relay keeping up, and what did it give up on."""

    pending: int
    """Rows not yet published."""
    due: int
    """Pending rows whose next attempt time has come (a healthy relay keeps this near 0)."""
    retrying: int
    """Pending rows that failed at least once."""
    oldest_pending_at: dt.datetime | None
    oldest_pending_age: dt.timedelta | None
    dead_letters: int
