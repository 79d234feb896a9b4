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

from tt_payments.clock import Clock, utcnow
from tt_payments.locks import Locks
from tt_payments.payments.provider_events import ProviderEventService
from tt_payments.payouts.service import PayoutService
from tt_payments.reconciliation.service import ReconciliationService
from tt_payments.settlement.service import BalanceService
from tt_payments.tax.compliance import TaxCompliance
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.webhooks.service import WebhookService

RETRY_WEBHOOKS = "retry_webhooks"
CLEANUP_WEBHOOKS = "cleanup_webhooks"
RECONCILE = "reconcile"
SETTLE_BALANCES = "settle_balances"
SYNC_PAYOUTS = "sync_payouts"
TRACK_NEXUS = "track_nexus"
RELEASE_TICKET_HOLDS = "release_ticket_holds"

SCHEDULE: Mapping[str, dt.timedelta] = {
    RETRY_WEBHOOKS: dt.timedelta(seconds=30),
    CLEANUP_WEBHOOKS: dt.timedelta(days=1),
    RECONCILE: dt.timedelta(minutes=5),
    SETTLE_BALANCES: dt.timedelta(hours=1),
    SYNC_PAYOUTS: dt.timedelta(minutes=1),
    TRACK_NEXUS: dt.timedelta(minutes=1),
    RELEASE_TICKET_HOLDS: dt.timedelta(minutes=1),
}
RECONCILE_WINDOW = dt.timedelta(hours=1)
"""The processor objects a scheduled reconciliation compares: the last hour (it runs
every 5 minutes; ``tt reconcile run --since`` reaches further back)."""
"""How often ``tt worker`` runs each job."""


@attrs.frozen(kw_only=True)
class PeriodicJobs:
    locks: Locks
    webhooks: WebhookService
    provider_events: ProviderEventService
    reconciliation: ReconciliationService
    balances: BalanceService
    payouts: PayoutService
    tax: TaxCompliance
    tickets: TicketCatalog
    clock: Clock = utcnow

    async def retry_webhooks(self) -> dict[str, Any] | None:
        """Failed inbox rows that are due, then held payment events. None: already running."""
        return await self._exclusive(RETRY_WEBHOOKS, self._retry_webhooks)

    async def cleanup_webhooks(self) -> dict[str, Any] | None:
        """Processed inbox rows older than 30 days deleted, failed ones older than 7 days
        archived. None: already running."""
        return await self._exclusive(CLEANUP_WEBHOOKS, self._cleanup_webhooks)

    async def reconcile(self) -> dict[str, Any] | None:
        """Reconciliation of the last hour (its own lock). None: already running."""
        now = self.reconciliation.clock()
        report = await self.reconciliation.run(since=now - RECONCILE_WINDOW, until=now)
        return None if report is None else report.as_json()

    async def settle_balances(self) -> dict[str, Any] | None:
        """Sales due moved from pending to available (with their reserve), reserves due
        released. None: already running."""
        return await self._exclusive(SETTLE_BALANCES, self._settle_balances)

    async def _settle_balances(self) -> dict[str, Any]:
        return (await self.balances.settle()).as_json()

    async def sync_payouts(self) -> dict[str, Any] | None:
        """Pending payouts sent again, payouts in transit asked for their state."""
        return await self._exclusive(SYNC_PAYOUTS, self._sync_payouts)

    async def _sync_payouts(self) -> dict[str, Any]:
        return {"changed": await self.payouts.sync()}

    async def track_nexus(self) -> dict[str, Any] | None:
        """Nexus totals summed from the tax collections; crossings announced once."""
        return await self._exclusive(TRACK_NEXUS, self._track_nexus)

    async def _track_nexus(self) -> dict[str, Any]:
        return {"crossings": await self.tax.track_nexus()}

    async def release_ticket_holds(self) -> dict[str, Any] | None:
        """Ticket holds past their expiry released, their tickets and seats back on sale.
        None: already running."""
        return await self._exclusive(RELEASE_TICKET_HOLDS, self._release_ticket_holds)

    async def _release_ticket_holds(self) -> dict[str, Any]:
        return {"released": await self.tickets.release_expired(self.clock())}

    def by_name(self) -> Mapping[str, Callable[[], Awaitable[dict[str, Any] | None]]]:
        return {
            RETRY_WEBHOOKS: self.retry_webhooks,
            CLEANUP_WEBHOOKS: self.cleanup_webhooks,
            RECONCILE: self.reconcile,
            SETTLE_BALANCES: self.settle_balances,
            SYNC_PAYOUTS: self.sync_payouts,
            TRACK_NEXUS: self.track_nexus,
            RELEASE_TICKET_HOLDS: self.release_ticket_holds,
        }

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
        async with self.locks.exclusive(f"tickettoken.job.{name}") as got:
            if not got:
                return None
            return await job()
