"""What the payouts context stores and reports."""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from tt_ledger import PayoutMethod, PayoutStatus
from tt_money import Money


@attrs.frozen(kw_only=True)
class PayoutRecord:
    """One venue payout, as stored."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    venue_id: uuid.UUID
    amount: Money
    fee: Money
    net: Money
    method: PayoutMethod
    status: PayoutStatus
    provider: str
    provider_payout_id: str | None
    destination: str
    requested_by: uuid.UUID
    idempotency_key: uuid.UUID | None
    arrival_earliest: dt.datetime
    arrival_latest: dt.datetime
    failure_code: str | None
    failure_message: str | None
    created_at: dt.datetime
    paid_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class PayoutSettings:
    destination: str
    """The venue's account at the payout provider (``acct_...``)."""
    threshold_minor: int
    """``tt payouts run`` pays the venue when its payable balance is above this (minor
    units of the venue's currency)."""


@attrs.frozen(kw_only=True)
class RunReport:
    """What ``PayoutService.run_due`` did."""

    requested: tuple[PayoutRecord, ...] = ()
    """The payouts it requested, one per venue due."""
    refused: tuple[tuple[uuid.UUID, str, str], ...] = ()
    """(venue, error code, message) of each venue whose payout was refused."""
    below_threshold: int = 0
    """Venues not due: payable below their threshold, or today's limit used up."""
    synced: int = 0
    """Open payouts that changed state when brought up to date afterwards."""
