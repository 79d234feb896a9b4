"""Receiving provider webhooks: deduplicate, keep, apply once, retry what failed.

The spec's order (Critical features 3): (1) Redis ``webhook:{provider}:{id}`` says "seen"
-> 200, nothing done; (2) the inbox row is written BEFORE processing and is unique per
provider event id, so a duplicate that Redis missed (Redis down, or a concurrent twin)
is refused by PostgreSQL; (3) the event is processed; (4) the row is marked processed,
or failed with its attempt count and error for ``retry_due``; (5) Redis remembers it for
7 days. An event applies at most once because the inbox row is unique and because every
effect is a conditional state change (a second application finds nothing to move).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping

import attrs

from tt_payments.clock import utcnow
from tt_payments.metrics import WebhookMetrics
from tt_payments.webhooks.events import ProviderEvent
from tt_payments.webhooks.ports import SeenWebhooks, WebhookInbox
from tt_payments.webhooks.records import InboxRow

_log = logging.getLogger(__name__)

Handler = Callable[[ProviderEvent], Awaitable[str]]
"""Applies one event and says what happened (``applied``, ``held``, ``ignored``, ...)."""


@attrs.frozen(kw_only=True)
class WebhookService:
    inbox: WebhookInbox
    seen: SeenWebhooks
    handlers: Mapping[str, Handler]
    """By event type; a type with no handler is stored and marked ``no handler``."""
    parsers: Mapping[str, Callable[[Mapping[str, object], str], ProviderEvent]]
    """By provider: rebuild a stored event for a retry (its signature was checked)."""
    metrics: WebhookMetrics

    async def receive(self, event: ProviderEvent) -> str:
        """Handle one verified delivery; returns its outcome (``duplicate`` for a repeat)."""
        if await self.seen.seen(event.provider, event.event_id):
            return self._counted(event, "duplicate")
        if not await self.inbox.add(event):
            await self.seen.remember(event.provider, event.event_id)
            return self._counted(event, "duplicate")
        outcome = await self._process(event)
        await self.seen.remember(event.provider, event.event_id)
        return self._counted(event, outcome)

    async def retry_due(self, *, limit: int = 200) -> dict[str, int]:
        """Process again the inbox rows that failed (or died mid-way) and are due."""
        counts: dict[str, int] = {}
        for row in await self.inbox.due(limit):
            outcome = await self._process(self._event_of(row))
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    async def cleanup(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """The daily job: processed rows older than 30 days deleted, failed ones older
        than 7 days archived. Returns (deleted, archived)."""
        current = now or utcnow()
        return await self.inbox.cleanup(
            processed_before=current - dt.timedelta(days=30),
            failed_before=current - dt.timedelta(days=7),
        )

    async def _process(self, event: ProviderEvent) -> str:
        handler = self.handlers.get(event.event_type)
        if handler is None:
            await self.inbox.mark_processed(event.provider, event.event_id, "no handler")
            return "unhandled"
        try:
            outcome = await handler(event)
        except Exception as error:
            _log.warning(
                "webhook %s %s failed: %s", event.provider, event.event_id, error, exc_info=True
            )
            await self.inbox.mark_failed(event.provider, event.event_id, repr(error))
            return "failed"
        await self.inbox.mark_processed(event.provider, event.event_id, outcome)
        return outcome

    def _event_of(self, row: InboxRow) -> ProviderEvent:
        return self.parsers[row.provider](row.payload, row.signature)

    def _counted(self, event: ProviderEvent, outcome: str) -> str:
        self.metrics.webhook_received(provider=event.provider, outcome=outcome)
        return outcome
