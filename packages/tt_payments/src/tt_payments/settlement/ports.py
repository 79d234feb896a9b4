"""The storage settlement needs: the sales due, the venues' policies, the reserves held and
the settlement marks, and, in the same transaction, the ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from tt_ledger import CapturedSale, HeldReserve, SettlementPolicy, VenueAccounts
from tt_money import Money
from tt_payments.ledger.ports import LedgerWriter
from tt_payments.settlement.records import VenueKey


class SettlementRepository(Protocol):
    async def due_sales(
        self, now: dt.datetime, *, tenant_id: uuid.UUID | None = None
    ) -> dict[VenueKey, list[CapturedSale]]:
        """Unsettled paid sales whose event has started, grouped by venue and currency."""
        ...

    async def venue_due_sales(self, key: VenueKey, now: dt.datetime) -> list[CapturedSale]:
        """The venue's unsettled sales as they are now (read again under its lock)."""
        ...

    async def policy(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> SettlementPolicy:
        """The venue's settlement policy, else the defaults."""
        ...

    async def put_policy(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        policy: SettlementPolicy,
        *,
        now: dt.datetime,
    ) -> None: ...

    async def last_dispute_at(self, accounts: VenueAccounts) -> dt.datetime | None:
        """When a dispute last put a hold on the venue's reserved account."""
        ...

    async def venues_with_reserves(self, *, tenant_id: uuid.UUID | None = None) -> list[VenueKey]:
        """Venues (and currencies) holding reserves not released yet."""
        ...

    async def held_reserves(self, key: VenueKey) -> list[HeldReserve]: ...

    async def mark_settled(
        self,
        sale: CapturedSale,
        *,
        settled: Money,
        reserve: Money,
        reserve_bps: int,
        now: dt.datetime,
    ) -> bool:
        """The sale's settlement mark, once: False when it was settled already."""
        ...

    async def mark_released(self, reserve: HeldReserve, now: dt.datetime) -> bool:
        """The reserve marked released, once: False when it was already."""
        ...


class SettlementTransaction(Protocol):
    @property
    def settlement(self) -> SettlementRepository: ...

    @property
    def ledger(self) -> LedgerWriter: ...
