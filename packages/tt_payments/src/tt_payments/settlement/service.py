"""Venue balances and their settlement (issue 6, part 1).

A venue's balance per currency comes from its ledger accounts: ``pending`` (sold, not
settled), ``available`` (payable) and ``reserved`` (held against refunds and
chargebacks). Settlement moves each sale from pending to available two days after its
event starts (per venue: ``venue_settlement_policies``), keeping a rolling reserve (5 %,
10 % for a venue with a dispute in the last 90 days) in reserved for 90 days.

``settle`` is idempotent: each sale is settled once (its mark and its entry commit
together), each reserve released once; the periodic job and ``tt balances settle`` may run
it as often as they like, even together. The service sees storage only through
``SettlementTransaction`` in one ``UnitOfWork``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from tt_ledger import (
    SettlementPolicy,
    VenueAccounts,
    VenueBalance,
    plan_reserve_releases,
    plan_settlements,
)
from tt_money import Money, currency_for
from tt_payments.auth.identity import ForbiddenError, Principal, Role
from tt_payments.catalog import VenueNotFoundError
from tt_payments.catalog.ports import Catalog
from tt_payments.clock import Clock, utcnow
from tt_payments.ledger.ports import LedgerAccounts
from tt_payments.settlement.ports import SettlementTransaction
from tt_payments.settlement.records import SettlementReport, VenueKey
from tt_payments.unit_of_work import UnitOfWork

__all__ = ["BalanceService"]


@attrs.frozen(kw_only=True)
class BalanceService:
    uow: UnitOfWork[SettlementTransaction]
    accounts: LedgerAccounts
    catalog: Catalog
    clock: Clock = utcnow

    async def balance(self, principal: Principal, venue_id: uuid.UUID) -> VenueBalance:
        """GET /venues/{venueId}/balance: for the venue's managers and admins. Reads only
        (in the venue's currency)."""
        if not principal.can_manage_venue(venue_id):
            raise ForbiddenError("only this venue's managers and admins see its balance")
        venue = await self.catalog.get_venue(principal.tenant_id, venue_id)
        if venue is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        accounts = VenueAccounts.of(principal.tenant_id, venue_id, venue.currency)
        await self.accounts.ensure_accounts(
            [accounts.pending, accounts.available, accounts.reserved]
        )
        async with self.uow() as tx:
            pending = await tx.ledger.balance(accounts.pending)
            available = await tx.ledger.balance(accounts.available)
            reserved = await tx.ledger.balance(accounts.reserved)
        return VenueBalance.from_ledger(
            accounts, pending=pending, available=available, reserved=reserved
        )

    async def set_policy(
        self, principal: Principal, venue_id: uuid.UUID, policy: SettlementPolicy
    ) -> None:
        """Admin only: the venue's settlement delay and reserve."""
        principal.require_role(Role.ADMIN)
        if await self.catalog.get_venue(principal.tenant_id, venue_id) is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        async with self.uow() as tx:
            await tx.settlement.put_policy(principal.tenant_id, venue_id, policy, now=self.clock())

    async def settle(
        self, *, now: dt.datetime | None = None, tenant_id: uuid.UUID | None = None
    ) -> SettlementReport:
        """Settle every sale that is due and release every reserve that is due.

        Side effects: per venue, in one transaction under the lock of its pending account,
        a ``sale.settled`` entry (pending -> available and reserved) and a settlement mark
        per sale; then ``reserve.released`` entries (reserved -> available). Idempotent.
        """
        moment = now or self.clock()
        report = SettlementReport()
        async with self.uow() as tx:
            sales_by_venue = await tx.settlement.due_sales(moment, tenant_id=tenant_id)
        settled_count = 0
        for key in sales_by_venue:
            settled_count += await self._settle_venue(key, moment, report)
        released_count = await self._release_reserves(moment, report, tenant_id)
        return attrs.evolve(report, sales_settled=settled_count, reserves_released=released_count)

    async def _settle_venue(
        self, key: VenueKey, moment: dt.datetime, report: SettlementReport
    ) -> int:
        currency = currency_for(key.currency)
        accounts = VenueAccounts.of(key.tenant_id, key.venue_id, currency)
        await self.accounts.ensure_accounts(
            [accounts.pending, accounts.available, accounts.reserved]
        )
        settled = 0
        async with self.uow() as tx:
            policy = await tx.settlement.policy(key.tenant_id, key.venue_id)
            pending = await tx.ledger.balance(accounts.pending, lock=True)
            # Read again under the lock: a refund between the first look and the lock
            # must not let this sale settle money that is no longer its own.
            sales = await tx.settlement.venue_due_sales(key, moment)
            plans = plan_settlements(
                sales,
                now=moment,
                policy=policy,
                # Credit-normal: what the venue is owed is the negated signed balance.
                pending_balance=Money(-pending.minor, currency),
                last_dispute_at=await tx.settlement.last_dispute_at(accounts),
            )
            for plan in plans:
                marked = await tx.settlement.mark_settled(
                    plan.sale,
                    settled=plan.settled,
                    reserve=plan.reserve,
                    reserve_bps=plan.reserve_bps,
                    now=moment,
                )
                if not marked:
                    continue  # settled by a run beside this one: its entry is posted
                if plan.entry is not None:
                    await tx.ledger.post(plan.entry)
                settled += 1
                report.add(report.settled, plan.to_available)
                report.add(report.reserved, plan.reserve)
        return settled

    async def _release_reserves(
        self, now: dt.datetime, report: SettlementReport, tenant_id: uuid.UUID | None
    ) -> int:
        released = 0
        async with self.uow() as tx:
            keys = await tx.settlement.venues_with_reserves(tenant_id=tenant_id)
        for key in keys:
            currency = currency_for(key.currency)
            accounts = VenueAccounts.of(key.tenant_id, key.venue_id, currency)
            await self.accounts.ensure_accounts([accounts.available, accounts.reserved])
            async with self.uow() as tx:
                policy = await tx.settlement.policy(key.tenant_id, key.venue_id)
                await tx.ledger.balance(accounts.reserved, lock=True)
                held = await tx.settlement.held_reserves(key)
                for release in plan_reserve_releases(held, now=now, policy=policy):
                    if await tx.settlement.mark_released(release.reserve, now):
                        await tx.ledger.post(release.entry)
                        released += 1
                        report.add(report.released, release.reserve.amount)
        return released
