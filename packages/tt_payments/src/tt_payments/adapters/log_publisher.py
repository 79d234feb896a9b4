"""The embedded default's event sink: each envelope becomes one log line.

With no ``TT_BROKER_URL`` there is nobody to deliver to, yet the outbox must drain and
a developer should see what would have been published. Writing the log line is the
"confirm": the row is then marked processed like any published one.
"""

from __future__ import annotations

import logging

from tt_payments.outbox import OutboxEvent

LOGGER_NAME = "tt_payments.events"


class LogPublisher:
    """An ``EventPublisher`` that logs each envelope at INFO on ``tt_payments.events``."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(LOGGER_NAME)

    async def publish(self, event: OutboxEvent) -> None:
        self._log.info(
            "event %s %s",
            event.event_type,
            event.event_id,
            extra={"routingKey": event.event_type, "envelope": event.envelope()},
        )

    async def aclose(self) -> None:
        return None
