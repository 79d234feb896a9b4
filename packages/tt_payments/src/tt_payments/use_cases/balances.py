"""Venue balances and their settlement (issue 6, part 1).

A venue's balance per currency comes from its ledger accounts: ``pending`` (sold, not
settled), ``available`` (payable) and ``reserved`` (held against refunds and
chargebacks). Settlement moves each sale from pending to available two days after its
event starts (per venue: ``venue_settlement_policies``), keeping a rolling reserve (5 %,
10 % for a venue with a dispute in the last 90 days) in reserved for 90 days.

``settle`` is idempotent: each sale is settled once (its mark and its entry commit
together), each reserve released once; the periodic job and ``tt balances settle`` may run
it as often as they like, even together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import attrs

from tt_ledger import (
    SettlementPolicy,
    VenueAccounts,
    VenueBalance,
    plan_reserve_releases,
    plan_settlements,
)
from tt_money import Money, currency_for
from tt_payments.adapters.settlement_sql import SqlSettlement
from tt_payments.catalog import VenueNotFoundError
from tt_payments.clock import utcnow
from tt_payments.identity import ForbiddenError, Principal, Role
from tt_payments.ports import Catalog


@attrs.frozen(kw_only=True)
class SettlementReport:
    """What one settlement run did (amounts in minor units, per currency)."""

    sales_settled: int = 0
    settled: dict[str, int] = attrs.field(factory=dict)
    reserved: dict[str, int] = attrs.field(factory=dict)
    reserves_released: int = 0
    released: dict[str, int] = attrs.field(factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "salesSettled": self.sales_settled,
            "settled": dict(self.settled),
            "reserved": dict(self.reserved),
            "reservesReleased": self.reserves_released,
            "released": dict(self.released),
        }


def _add(totals: dict[str, int], amount: Money) -> None:
    totals[amount.currency.code] = totals.get(amount.currency.code, 0) + amount.minor


class BalanceService:
    def __init__(
        self,
        *,
        store: SqlSettlement,
        catalog: Catalog,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._clock = clock

    async def balance(self, principal: Principal, venue_id: uuid.UUID) -> VenueBalance:
        """GET /venues/{venueId}/balance: for the venue's managers and admins. Reads only
        (in the venue's currency)."""
        if not principal.can_manage_venue(venue_id):
            raise ForbiddenError("only this venue's managers and admins see its balance")
        venue = await self._catalog.get_venue(principal.tenant_id, venue_id)
        if venue is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        accounts = VenueAccounts.of(principal.tenant_id, venue_id, venue.currency)
        ledger = self._store.ledger
        await ledger.ensure_accounts([accounts.pending, accounts.available, accounts.reserved])
        async with self._store.engine.connect() as connection:
            pending = await ledger.balance(connection, accounts.pending)
            available = await ledger.balance(connection, accounts.available)
            reserved = await ledger.balance(connection, accounts.reserved)
        return VenueBalance.from_ledger(
            accounts, pending=pending, available=available, reserved=reserved
        )

    async def set_policy(
        self, principal: Principal, venue_id: uuid.UUID, policy: SettlementPolicy
    ) -> None:
        """Admin only: the venue's settlement delay and reserve."""
        principal.require_role(Role.ADMIN)
        if await self._catalog.get_venue(principal.tenant_id, venue_id) is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        await self._store.put_policy(principal.tenant_id, venue_id, policy)

    async def settle(
        self, *, now: dt.datetime | None = None, tenant_id: uuid.UUID | None = None
    ) -> SettlementReport:
        """Settle every sale that is due and release every reserve that is due.

        Side effects: per venue, in one transaction under the lock of its pending account,
        a ``sale.settled`` entry (pending -> available and reserved) and a settlement mark
        per sale; then ``reserve.released`` entries (reserved -> available). Idempotent.
        """
        moment = now or self._clock()
        report = SettlementReport()
        sales_by_venue = await self._store.due_sales(moment, tenant_id=tenant_id)
        settled_count = 0
        for key in sales_by_venue:
            currency = currency_for(key.currency)
            accounts = VenueAccounts.of(key.tenant_id, key.venue_id, currency)
            policy = await self._store.policy(key.tenant_id, key.venue_id)
            ledger = self._store.ledger
            await ledger.ensure_accounts([accounts.pending, accounts.available, accounts.reserved])
            async with self._store.engine.begin() as connection:
                pending = await ledger.balance(connection, accounts.pending, lock=True)
                # Read again under the lock: a refund between the first look and the lock
                # must not let this sale settle money that is no longer its own.
                sales = await self._store.venue_due_sales(connection, key, moment)
                plans = plan_settlements(
                    sales,
                    now=moment,
                    policy=policy,
                    # Credit-normal: what the venue is owed is the negated signed balance.
                    pending_balance=Money(-pending.minor, currency),
                    last_dispute_at=await self._store.last_dispute_at(connection, accounts),
                )
                for plan in plans:
                    marked = await self._store.mark_settled(
                        connection,
                        plan.sale,
                        settled=plan.settled,
                        reserve=plan.reserve,
                        reserve_bps=plan.reserve_bps,
                        now=moment,
                        entry=plan.entry,
                    )
                    if marked:
                        settled_count += 1
                        _add(report.settled, plan.to_available)
                        _add(report.reserved, plan.reserve)
        released_count = await self._release_reserves(moment, report, tenant_id)
        return attrs.evolve(report, sales_settled=settled_count, reserves_released=released_count)

    async def _release_reserves(
        self, now: dt.datetime, report: SettlementReport, tenant_id: uuid.UUID | None
    ) -> int:
        released = 0
        for key in await self._store.venues_with_reserves(tenant_id=tenant_id):
            policy = await self._store.policy(key.tenant_id, key.venue_id)
            currency = currency_for(key.currency)
            accounts = VenueAccounts.of(key.tenant_id, key.venue_id, currency)
            ledger = self._store.ledger
            await ledger.ensure_accounts([accounts.available, accounts.reserved])
            async with self._store.engine.begin() as connection:
                await ledger.balance(connection, accounts.reserved, lock=True)
                held = await self._store.held_reserves(connection, key)
                for release in plan_reserve_releases(held, now=now, policy=policy):
                    if await self._store.mark_released(
                        connection, release.reserve, release.entry, now
                    ):
                        released += 1
                        _add(report.released, release.reserve.amount)
        return released
