"""An event's high-demand settings, its purchase limits and its waiting-room activity.

The settings (with the fairness seed, secret until the on-sale) and the limits are the
truth in PostgreSQL; the waiting room itself lives in Redis (tt_high_demand.adapters).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_high_demand import ActivityEntry, HighDemandConfig, PurchaseLimits
from tt_payments.clock import utcnow
from tt_payments.db.tables.high_demand import (
    event_high_demand,
    event_purchase_limits,
    waiting_room_activity,
)

_CONFIG = sa.select(
    event_high_demand,
    event_purchase_limits.c.purchase_limit_per_user,
    event_purchase_limits.c.purchase_limit_per_payment_method,
    event_purchase_limits.c.purchase_limit_per_address,
    event_purchase_limits.c.max_tickets_per_order,
).select_from(
    event_high_demand.outerjoin(
        event_purchase_limits,
        sa.and_(
            event_purchase_limits.c.tenant_id == event_high_demand.c.tenant_id,
            event_purchase_limits.c.event_id == event_high_demand.c.event_id,
        ),
    )
)
_INSERT_ACTIVITY = sa.insert(waiting_room_activity)


class SqlHighDemand:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> HighDemandConfig | None:
        async with self._engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        _CONFIG.where(
                            event_high_demand.c.tenant_id == tenant_id,
                            event_high_demand.c.event_id == event_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _config(row)

    async def put(self, config: HighDemandConfig) -> HighDemandConfig:
        """Store ``config``. An existing seed is kept: its hash may already be published,
        so changing it would break the promise that the draw was fixed in advance."""
        now = utcnow()
        settings = {
            "enabled": config.enabled,
            "on_sale_at": config.on_sale_at,
            "active_slots": config.active_slots,
            "token_ttl_seconds": int(config.token_ttl.total_seconds()),
            "heartbeat_seconds": int(config.heartbeat_timeout.total_seconds()),
            "updated_at": now,
        }
        limits = {
            "purchase_limit_per_user": config.limits.per_user,
            "purchase_limit_per_payment_method": config.limits.per_payment_method,
            "purchase_limit_per_address": config.limits.per_address,
            "max_tickets_per_order": config.limits.per_order,
            "updated_at": now,
        }
        key = {"tenant_id": config.tenant_id, "event_id": config.event_id}
        async with self._engine.begin() as connection:
            statement = insert(event_high_demand).values(
                **key, **settings, seed=config.seed, created_at=now
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "event_id"], set_=settings
                )
            )
            statement = insert(event_purchase_limits).values(**key, **limits, created_at=now)
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "event_id"], set_=limits
                )
            )
        stored = await self.get(config.tenant_id, config.event_id)
        if stored is None:  # pragma: no cover - written just above
            raise RuntimeError("high-demand settings vanished")
        return stored

    async def record(self, entries: Sequence[ActivityEntry]) -> None:
        """Waiting-room activity rows (joined, admitted, abandoned, left, purchased...), all
        in one statement and one commit."""
        if not entries:
            return
        async with self._engine.begin() as connection:
            await connection.execute(
                _INSERT_ACTIVITY,
                [
                    {
                        "tenant_id": entry.tenant_id,
                        "id": uuid.uuid4(),
                        "event_id": entry.event_id,
                        "user_id": entry.user_id,
                        "action": entry.action,
                        "metadata": dict(entry.metadata),
                        "timestamp": entry.at,
                    }
                    for entry in entries
                ],
            )

    async def activity(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, *, limit: int = 1000
    ) -> list[dict[str, object]]:
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(waiting_room_activity)
                    .where(
                        waiting_room_activity.c.tenant_id == tenant_id,
                        waiting_room_activity.c.event_id == event_id,
                    )
                    .order_by(waiting_room_activity.c.timestamp)
                    .limit(limit)
                )
            ).mappings()
            return [dict(row) for row in rows]


def _limits(row: sa.RowMapping) -> PurchaseLimits:
    return PurchaseLimits(
        per_user=int(str(row["purchase_limit_per_user"])),
        per_payment_method=int(str(row["purchase_limit_per_payment_method"])),
        per_address=int(str(row["purchase_limit_per_address"])),
        per_order=int(str(row["max_tickets_per_order"])),
    )


def _config(row: sa.RowMapping) -> HighDemandConfig:
    on_sale_at = row["on_sale_at"]
    seed = row["seed"]
    assert isinstance(on_sale_at, dt.datetime)
    assert isinstance(seed, bytes | memoryview)
    return HighDemandConfig(
        tenant_id=uuid.UUID(str(row["tenant_id"])),
        event_id=uuid.UUID(str(row["event_id"])),
        enabled=bool(row["enabled"]),
        on_sale_at=on_sale_at.astimezone(dt.UTC),
        active_slots=int(str(row["active_slots"])),
        token_ttl=dt.timedelta(seconds=int(str(row["token_ttl_seconds"]))),
        heartbeat_timeout=dt.timedelta(seconds=int(str(row["heartbeat_seconds"]))),
        limits=PurchaseLimits() if row["purchase_limit_per_user"] is None else _limits(row),
        seed=bytes(seed),
    )
