"""Ports of the outbox: where events are appended, where the relay finds them, and the
broker it publishes to."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from tt_payments.outbox.records import DeadLetter, OutboxEvent, OutboxStatus


class OutboxWriter(Protocol):
    """The outbox inside a context's transaction: what is appended is published once that
    transaction commits, and never if it rolls back."""

    async def append(
        self,
        *,
        tenant_id: uuid.UUID,
        event_type: str,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        data: Mapping[str, object],
    ) -> uuid.UUID:
        """Add an event; returns its id."""
        ...


class EventPublisher(Protocol):
    """Where the outbox relay sends events: RabbitMQ, or the log in the embedded default."""

    async def publish(self, event: OutboxEvent) -> None:
        """Return once the broker has confirmed ``event`` (a persistent message).

        Raises ``PublisherUnavailableError`` when the broker cannot be reached or does not
        answer in time; any other error means this event was refused.
        """
        ...

    async def aclose(self) -> None: ...


class OutboxClaim(Protocol):
    """Due outbox rows locked by one open transaction; what is recorded commits with it."""

    @property
    def events(self) -> Sequence[OutboxEvent]: ...

    async def published(self, events: Sequence[OutboxEvent]) -> None:
        """Mark ``events`` processed (the broker confirmed them)."""
        ...

    async def retry_later(self, event: OutboxEvent, error: str, delay: dt.timedelta) -> None:
        """Count a failed attempt and make the row due again after ``delay``."""
        ...

    async def dead_letter(self, event: OutboxEvent, error: str) -> None:
        """Count the failed attempt and move the row to ``outbox_dlq``."""
        ...


class OutboxStore(Protocol):
    def claim(self, limit: int) -> AbstractAsyncContextManager[OutboxClaim]:
        """Lock up to ``limit`` due, unprocessed rows that no one else holds, oldest due first.

        Commits what was recorded when the block ends normally, rolls back otherwise.
        """
        ...

    async def status(self, tenant_id: uuid.UUID | None = None) -> OutboxStatus:
        """Counts over every tenant, or over ``tenant_id``'s rows."""
        ...

    async def dead_letters(
        self, tenant_id: uuid.UUID | None = None, *, limit: int = 100
    ) -> Sequence[DeadLetter]:
        """The newest dead letters first."""
        ...

    async def redrive(self, ids: Sequence[int] | None, tenant_id: uuid.UUID | None = None) -> int:
        """Move dead letters (``ids``, or all when None) back to the outbox, due now, with
        attempts reset and the same event id. Returns how many moved; rerunning moves none.
        """
        ...
