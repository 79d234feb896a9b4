"""What the fraud context stores and reports."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from tt_fraud import PurchaseHistory


@attrs.frozen(kw_only=True)
class DeviceHistory:
    """What PostgreSQL knows about a buyer and the device they pay from."""

    purchases: PurchaseHistory
    """Their purchases, the accounts seen on the device, the known-scalper flag."""
    devices_of_user: int
    """Devices the buyer used in the window, this one included."""


@attrs.frozen(kw_only=True)
class FraudCheckRow:
    """One row of fraud_checks, as the admin API shows it."""

    id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID | None
    device_fingerprint: str | None
    ip_address: str | None
    score: Decimal
    signals: Sequence[Mapping[str, object]]
    decision: str
    rule: str | None
    timestamp: dt.datetime
    idempotency_key: uuid.UUID | None = None
    """The payment attempt's key: joins a decision to its payment."""


@attrs.frozen(kw_only=True)
class BotDetectionRow:
    session_id: str
    is_bot: bool
    confidence: Decimal
    indicators: tuple[str, ...]
    user_agent: str | None


@attrs.frozen(kw_only=True)
class KnownScalperRow:
    id: uuid.UUID
    user_id: uuid.UUID | None
    device_fingerprint: str | None
    reason: str
    confidence_score: Decimal
    active: bool
    added_at: dt.datetime
