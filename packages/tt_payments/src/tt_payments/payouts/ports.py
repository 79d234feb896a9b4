"""The storage the payouts service needs: its own rows, and, in the same transaction, the
ledger and the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Protocol

from tt_ledger import PayoutStatus
from tt_payments.ledger.ports import LedgerWriter
from tt_payments.outbox.ports import OutboxWriter
from tt_payments.payouts.records import PayoutRecord, PayoutSettings


class PayoutRepository(Protocol):
    """Venue payouts and each venue's payout settings, inside one transaction."""

    async def insert(self, record: PayoutRecord) -> bool:
        """False (and nothing written) when the requester already has a payout under the
        record's idempotency key."""
        ...

    async def lock_status(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutStatus | None:
        """The payout's status, the payout locked until the transaction ends."""
        ...

    async def move(
        self,
        payout: PayoutRecord,
        source: PayoutStatus,
        target: PayoutStatus,
        *,
        now: dt.datetime,
        provider_payout_id: str | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
    ) -> bool:
        """Move the payout from ``source`` to ``target`` (False when it is not in
        ``source``). A provider payout id, once set, is kept; ``paid_at`` is set on paid."""
        ...

    async def get(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutRecord | None: ...

    async def by_key(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> PayoutRecord | None: ...

    async def recent(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        venue_id: uuid.UUID | None = None,
        statuses: Collection[PayoutStatus] = (),
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[PayoutRecord]:
        """Newest first; ``oldest_first`` orders by last change (for the sync)."""
        ...

    async def total_since(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        since: dt.datetime,
        statuses: Collection[PayoutStatus],
    ) -> int:
        """Minor units of the venue's payouts created since ``since`` in ``statuses``."""
        ...

    async def payable_balances(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        """(venue, payable minor units) of every venue of the tenant with funds available."""
        ...

    async def settings(
        self, tenant_id: uuid.UUID, venue_id: uuid.UUID
    ) -> PayoutSettings | None: ...

    async def put_settings(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        settings: PayoutSettings,
        *,
        now: dt.datetime,
    ) -> None: ...


class PayoutsTransaction(Protocol):
    """What one payouts transaction holds; everything done through it commits together."""

    @property
    def payouts(self) -> PayoutRepository: ...

    @property
    def ledger(self) -> LedgerWriter: ...

    @property
    def outbox(self) -> OutboxWriter: ...
