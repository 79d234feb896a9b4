"""The storage the fraud service needs."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Protocol

from tt_payments.fraud.records import BotDetectionRow, DeviceHistory, FraudCheckRow, KnownScalperRow


class FraudRecords(Protocol):
    """Fraud checks, device history, known scalpers and policies; each call is its own
    transaction."""

    async def history(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        device: str | None,
        *,
        since: dt.datetime,
    ) -> DeviceHistory:
        """The buyer's and the device's purchases since ``since``, the accounts seen on
        the device and the devices seen for the buyer, and whether the buyer or the device
        is a known scalper."""
        ...

    async def record(
        self,
        tenant_id: uuid.UUID,
        check: FraudCheckRow,
        *,
        bot: BotDetectionRow | None,
        activity: str = "purchase",
    ) -> None:
        """The decision, what the bot detector saw, and the device's activity: one commit."""
        ...

    async def checks(
        self,
        tenant_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None = None,
        decision: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 50,
    ) -> list[FraudCheckRow]:
        """Newest first."""
        ...

    async def add_scalper(
        self,
        tenant_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None,
        device_fingerprint: str | None,
        reason: str,
        confidence: Decimal,
        added_by: uuid.UUID | None,
    ) -> tuple[KnownScalperRow, bool]:
        """Mark someone (a user, or a device nobody is named for) as a known scalper.
        Adding an active entry again updates its reason and confidence: (row, created)."""
        ...

    async def remove_scalper(self, tenant_id: uuid.UUID, scalper_id: uuid.UUID) -> bool:
        """Deactivate an entry (kept for the record); False if no active entry has the id."""
        ...

    async def scalpers(self, tenant_id: uuid.UUID) -> list[KnownScalperRow]: ...

    async def policy(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID
    ) -> tuple[object | None, object | None]:
        """(velocity JSON, rules JSON): the event's where it set them, else the tenant's,
        else None (the built-in defaults)."""
        ...

    async def put_policy(
        self,
        tenant_id: uuid.UUID,
        event_id: uuid.UUID | None,
        *,
        velocity: object | None,
        rules: object | None,
    ) -> None:
        """Set (or with None, clear) the velocity limits and rules of a tenant or event."""
        ...
