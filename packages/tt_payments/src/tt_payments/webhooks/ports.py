"""The storage the webhook service needs: the inbox (durable, in PostgreSQL) and the fast
duplicate check (Redis, which may be down)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from tt_payments.webhooks.events import ProviderEvent
from tt_payments.webhooks.records import InboxRow


class WebhookInbox(Protocol):
    """One row per provider event id, written before the event is processed. Each call is
    its own short transaction."""

    async def add(self, event: ProviderEvent) -> bool:
        """Keep a delivery; False when its event id is there already (a duplicate)."""
        ...

    async def mark_processed(self, provider: str, webhook_id: str, outcome: str) -> None: ...

    async def mark_failed(self, provider: str, webhook_id: str, error: str) -> None:
        """Count a failed attempt; the row is due again after a backoff."""
        ...

    async def due(self, limit: int) -> list[InboxRow]:
        """Rows whose retry is due (failed, or left mid-way by a process that died)."""
        ...

    async def status(self) -> dict[str, int]: ...

    async def get(self, provider: str, webhook_id: str) -> InboxRow | None: ...

    async def cleanup(
        self, *, processed_before: dt.datetime, failed_before: dt.datetime
    ) -> tuple[int, int]:
        """Delete old processed rows, archive old failed ones: (deleted, archived)."""
        ...


class SeenWebhooks(Protocol):
    async def seen(self, provider: str, event_id: str) -> bool: ...

    async def remember(self, provider: str, event_id: str) -> None: ...
