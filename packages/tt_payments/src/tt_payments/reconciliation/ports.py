"""The storage the reconciliation service needs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Protocol


class ReconciliationRecords(Protocol):
    """What reconciliation files and reads: findings for review, and the payments and outbox
    rows it checks; each call is its own transaction."""

    async def orphaned_payments(self, since: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant, payment) of paid payments since ``since`` missing their mint job or
        their ``payment.completed`` event."""
        ...

    async def has_completed_event(self, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> bool: ...

    async def reset_stuck_outbox(self, older_than: dt.timedelta) -> int:
        """Unpublished outbox rows older than ``older_than``: made due now; how many."""
        ...

    async def stale_payments(self, older_than: dt.timedelta) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant, payment) still pending, processing or requires_action after the age."""
        ...

    async def file_finding(
        self,
        *,
        tenant_id: uuid.UUID | None,
        kind: str,
        provider: str,
        provider_object_id: str,
        payment_id: uuid.UUID | None,
        details: Mapping[str, Any],
    ) -> bool:
        """Record a difference for review; False when it was already on file."""
        ...

    async def open_findings(self, limit: int = 1000) -> list[dict[str, Any]]: ...
