"""The storage the high demand service needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from tt_high_demand import ActivityEntry, HighDemandConfig


class HighDemandStore(Protocol):
    """Events' high-demand settings and purchase limits, and the waiting room's activity
    log; each call is its own transaction."""

    async def get(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> HighDemandConfig | None: ...

    async def put(self, config: HighDemandConfig) -> HighDemandConfig:
        """Store ``config``. An existing seed is kept: its hash may already be published,
        so changing it would break the promise that the draw was fixed in advance."""
        ...

    async def record(self, entries: Sequence[ActivityEntry]) -> None:
        """Waiting-room activity rows (joined, admitted, abandoned, left, purchased...), all
        in one statement and one commit."""
        ...

    async def activity(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, *, limit: int = 1000
    ) -> list[dict[str, object]]: ...
