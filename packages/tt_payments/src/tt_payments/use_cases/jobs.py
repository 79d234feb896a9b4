"""The periodic jobs: what they do, how often, and that two runs never overlap.

``tt worker`` sends each job as a Dramatiq message on its schedule (tt_workers); the same
jobs run from the shell (``tt webhooks retry``). Each takes a PostgreSQL advisory lock
named after it, so runs from several workers (or the CLI beside them) never overlap: a
run that finds the lock taken returns None and does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from tt_payments.adapters.database import Engine, advisory_lock
from tt_payments.use_cases.provider_events import ProviderEventService
from tt_payments.use_cases.webhooks import WebhookService

RETRY_WEBHOOKS = "retry_webhooks"
CLEANUP_WEBHOOKS = "cleanup_webhooks"

SCHEDULE: Mapping[str, dt.timedelta] = {
    RETRY_WEBHOOKS: dt.timedelta(seconds=30),
    CLEANUP_WEBHOOKS: dt.timedelta(days=1),
}
"""How often ``tt worker`` runs each job."""


@attrs.frozen(kw_only=True)
class PeriodicJobs:
    engine: Engine
    webhooks: WebhookService
    provider_events: ProviderEventService

    async def retry_webhooks(self) -> dict[str, Any] | None:
        """Failed inbox rows that are due, then held payment events. None: already running."""
        return await self._exclusive(RETRY_WEBHOOKS, self._retry_webhooks)

    async def cleanup_webhooks(self) -> dict[str, Any] | None:
        """Processed inbox rows older than 30 days deleted, failed ones older than 7 days
        archived. None: already running."""
        return await self._exclusive(CLEANUP_WEBHOOKS, self._cleanup_webhooks)

    def by_name(self) -> Mapping[str, Callable[[], Awaitable[dict[str, Any] | None]]]:
        return {RETRY_WEBHOOKS: self.retry_webhooks, CLEANUP_WEBHOOKS: self.cleanup_webhooks}

    async def _retry_webhooks(self) -> dict[str, Any]:
        return {
            "inbox": await self.webhooks.retry_due(),
            "held": await self.provider_events.process_held(),
        }

    async def _cleanup_webhooks(self) -> dict[str, Any]:
        deleted, archived = await self.webhooks.cleanup()
        return {"deleted": deleted, "archived": archived}

    async def _exclusive(
        self, name: str, job: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any] | None:
        async with advisory_lock(self.engine, f"tickettoken.job.{name}") as got:
            if not got:
                return None
            return await job()
