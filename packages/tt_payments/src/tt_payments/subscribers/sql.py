"""Subscribers and deliveries in PostgreSQL (``SubscriberStore``).

``claim`` holds its transaction open while the dispatcher POSTs, like the outbox relay's:
a delivery is with one dispatcher until its outcome commits, and a dispatcher that stalls
is ended by the server (``idle_in_transaction_session_timeout``), its deliveries claimable
again (sent again at worst).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_payments.db.tables.subscribers import event_deliveries, event_subscribers
from tt_payments.subscribers.records import (
    Delivery,
    DeliveryStatus,
    DeliveryView,
    SendResult,
    Subscriber,
)

__all__ = ["SqlSubscribers"]

_CLAIM_IDLE_TIMEOUT = "60s"
_ERROR_LIMIT = 2000
_d, _s = event_deliveries, event_subscribers
_earlier = event_deliveries.alias("earlier")


def _claim_query(limit: int) -> sa.Select[Any]:
    waiting_behind = (
        sa.select(sa.literal(1))
        .where(
            _earlier.c.tenant_id == _d.c.tenant_id,
            _earlier.c.subscriber_id == _d.c.subscriber_id,
            _earlier.c.ordering_key == _d.c.ordering_key,
            _earlier.c.outbox_id < _d.c.outbox_id,
            _earlier.c.status != DeliveryStatus.DELIVERED.value,
        )
        .exists()
    )
    return (
        sa.select(
            _d.c.tenant_id,
            _d.c.id,
            _d.c.subscriber_id,
            _d.c.event_id,
            _d.c.event_type,
            _d.c.ordering_key,
            _d.c.envelope,
            _d.c.attempts,
            _s.c.url,
            _s.c.secret,
        )
        .join(_s, sa.and_(_s.c.tenant_id == _d.c.tenant_id, _s.c.id == _d.c.subscriber_id))
        .where(
            _d.c.status == DeliveryStatus.PENDING.value,
            _d.c.next_attempt_at <= sa.func.clock_timestamp(),
            ~waiting_behind,
        )
        .order_by(_d.c.next_attempt_at, _d.c.id)
        .limit(limit)
        .with_for_update(of=_d, skip_locked=True)
    )


class SqlDeliveryClaim:
    def __init__(self, connection: AsyncConnection, deliveries: Sequence[Delivery]) -> None:
        self._connection = connection
        self._deliveries = tuple(deliveries)

    @property
    def deliveries(self) -> Sequence[Delivery]:
        return self._deliveries

    async def delivered(self, delivery: Delivery, result: SendResult) -> None:
        await self._record(
            delivery,
            result,
            status=DeliveryStatus.DELIVERED,
            delivered_at=sa.func.clock_timestamp(),
            last_error=None,
        )

    async def retry_later(
        self, delivery: Delivery, result: SendResult, delay: dt.timedelta
    ) -> None:
        await self._record(
            delivery,
            result,
            status=DeliveryStatus.PENDING,
            next_attempt_at=sa.func.clock_timestamp() + delay,
        )

    async def dead(self, delivery: Delivery, result: SendResult) -> None:
        await self._record(delivery, result, status=DeliveryStatus.DEAD)

    async def _record(
        self, delivery: Delivery, result: SendResult, *, status: DeliveryStatus, **values: Any
    ) -> None:
        values.setdefault("last_error", (result.error or "")[:_ERROR_LIMIT] or None)
        await self._connection.execute(
            sa.update(_d)
            .where(_d.c.tenant_id == delivery.tenant_id, _d.c.id == delivery.id)
            .values(
                status=status.value,
                attempts=_d.c.attempts + 1,
                last_attempt_at=sa.func.clock_timestamp(),
                last_status=result.status,
                **values,
            )
        )


class SqlSubscribers:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, subscriber: Subscriber) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.insert(_s).values(
                    tenant_id=subscriber.tenant_id,
                    id=subscriber.id,
                    url=subscriber.url,
                    event_types=list(subscriber.event_types),
                    secret=subscriber.secret,
                    **({"created_at": subscriber.created_at} if subscriber.created_at else {}),
                )
            )

    async def of_tenant(self, tenant_id: uuid.UUID) -> list[Subscriber]:
        query = sa.select(_s).where(_s.c.tenant_id == tenant_id).order_by(_s.c.created_at)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            Subscriber(
                tenant_id=row["tenant_id"],
                id=row["id"],
                url=row["url"],
                event_types=tuple(row["event_types"]),
                secret=row["secret"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def remove(self, tenant_id: uuid.UUID, subscriber_id: uuid.UUID) -> bool:
        async with self._engine.begin() as connection:
            gone = await connection.execute(
                sa.delete(_s)
                .where(_s.c.tenant_id == tenant_id, _s.c.id == subscriber_id)
                .returning(_s.c.id)
            )
            return gone.first() is not None

    async def deliveries(
        self,
        tenant_id: uuid.UUID,
        *,
        status: DeliveryStatus | None = None,
        subscriber_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[DeliveryView]:
        query = sa.select(_d).where(_d.c.tenant_id == tenant_id)
        if status is not None:
            query = query.where(_d.c.status == status.value)
        if subscriber_id is not None:
            query = query.where(_d.c.subscriber_id == subscriber_id)
        query = query.order_by(_d.c.id.desc()).limit(limit)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            DeliveryView(
                id=row["id"],
                subscriber_id=row["subscriber_id"],
                event_id=row["event_id"],
                event_type=row["event_type"],
                ordering_key=row["ordering_key"],
                status=DeliveryStatus(row["status"]),
                attempts=row["attempts"],
                last_status=row["last_status"],
                last_error=row["last_error"],
                next_attempt_at=row["next_attempt_at"],
                delivered_at=row["delivered_at"],
            )
            for row in rows
        ]

    async def redrive(
        self,
        tenant_id: uuid.UUID,
        *,
        ids: Sequence[int] | None = None,
        subscriber_id: uuid.UUID | None = None,
    ) -> int:
        statement = (
            sa.update(_d)
            .where(_d.c.tenant_id == tenant_id, _d.c.status == DeliveryStatus.DEAD.value)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=sa.func.clock_timestamp(),
            )
            .returning(_d.c.id)
        )
        if ids is not None:
            statement = statement.where(_d.c.id.in_(list(ids)))
        if subscriber_id is not None:
            statement = statement.where(_d.c.subscriber_id == subscriber_id)
        async with self._engine.begin() as connection:
            return len((await connection.execute(statement)).all())

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[SqlDeliveryClaim]:
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.text(f"SET LOCAL idle_in_transaction_session_timeout = '{_CLAIM_IDLE_TIMEOUT}'")
            )
            rows = (await connection.execute(_claim_query(limit))).mappings().all()
            yield SqlDeliveryClaim(
                connection,
                [
                    Delivery(
                        tenant_id=row["tenant_id"],
                        id=row["id"],
                        subscriber_id=row["subscriber_id"],
                        url=row["url"],
                        secret=row["secret"],
                        event_id=row["event_id"],
                        event_type=row["event_type"],
                        ordering_key=row["ordering_key"],
                        envelope=row["envelope"],
                        attempts=row["attempts"],
                    )
                    for row in rows
                ],
            )
