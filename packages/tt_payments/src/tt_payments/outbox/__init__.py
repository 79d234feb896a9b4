"""The outbox context: events committed with the change they describe, relayed to the
broker at least once (``relay``), stored in PostgreSQL (``sql``)."""

from tt_payments.outbox.records import (
    ENVELOPE_VERSION,
    DeadLetter,
    OutboxEvent,
    OutboxStatus,
    PublisherUnavailableError,
)
from tt_payments.outbox.relay import (
    MAX_ATTEMPTS,
    MAX_BACKOFF,
    OutboxRelay,
    RelayLoop,
    RelayReport,
    backoff,
)

__all__ = [
    "ENVELOPE_VERSION",
    "MAX_ATTEMPTS",
    "MAX_BACKOFF",
    "DeadLetter",
    "OutboxEvent",
    "OutboxRelay",
    "OutboxStatus",
    "PublisherUnavailableError",
    "RelayLoop",
    "RelayReport",
    "backoff",
]
