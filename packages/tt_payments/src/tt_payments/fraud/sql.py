"""Fraud records in PostgreSQL: decisions, bot detections, device history, known
scalpers and per-tenant / per-event fraud policies.

The history a scalper score needs (the buyer's and the device's recent purchases, how
many accounts used the device, whether either is a known scalper) is read in one round
trip; a decision and what it saw are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_fraud import PastPurchase, PurchaseHistory
from tt_payments.clock import utcnow
from tt_payments.db import raw
from tt_payments.db.database import autocommit
from tt_payments.db.tables.fraud import (
    bot_detections,
    device_activity,
    fraud_checks,
    fraud_policies,
    known_scalpers,
)
from tt_payments.db.tables.high_demand import event_high_demand
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.fraud.records import BotDetectionRow, DeviceHistory, FraudCheckRow, KnownScalperRow

TENANT_POLICY = uuid.UUID(int=0)
"""The ``event_id`` under which a tenant's own policy is stored."""
HISTORY_LIMIT = 500
"""Most recent purchases read per decision: enough to see any pattern in 30 days."""

# Purchases a scalper score looks at: paid or in flight (a declined card is no purchase).
_COUNTED = ("processing", "requires_action", "completed", "partially_refunded", "refunded")

_HISTORY = raw.RawStatement(
    sa.select(
        payment_transactions.c.user_id,
        payment_transactions.c.event_id,
        payment_transactions.c.device_fingerprint,
        payment_transactions.c.payment_method_id,
        payment_transactions.c.address_fingerprint,
        payment_transactions.c.ticket_count,
        payment_transactions.c.created_at,
        sa.func.coalesce(event_high_demand.c.enabled, sa.false()).label("high_demand"),
    )
    .select_from(
        payment_transactions.outerjoin(
            event_high_demand,
            sa.and_(
                event_high_demand.c.tenant_id == payment_transactions.c.tenant_id,
                event_high_demand.c.event_id == payment_transactions.c.event_id,
            ),
        )
    )
    .where(
        payment_transactions.c.tenant_id == sa.bindparam("tenant_id"),
        payment_transactions.c.created_at >= sa.bindparam("since"),
        payment_transactions.c.status
        == sa.any_(sa.bindparam("counted", list(_COUNTED), type_=ARRAY(sa.String))),
        payment_transactions.c.ticket_count > 0,
        sa.or_(
            payment_transactions.c.user_id == sa.bindparam("user_id"),
            payment_transactions.c.device_fingerprint == sa.bindparam("device"),
        ),
    )
    .order_by(payment_transactions.c.created_at.desc())
    .limit(HISTORY_LIMIT)
)
_ACCOUNTS_ON_DEVICE = sa.select(sa.func.count(sa.distinct(device_activity.c.user_id))).where(
    device_activity.c.tenant_id == sa.bindparam("tenant_id"),
    device_activity.c.device_fingerprint == sa.bindparam("device"),
    device_activity.c.timestamp >= sa.bindparam("since"),
    device_activity.c.user_id != sa.bindparam("user_id"),
)
_DEVICES_OF_USER = sa.select(
    sa.func.count(sa.distinct(device_activity.c.device_fingerprint))
).where(
    device_activity.c.tenant_id == sa.bindparam("tenant_id"),
    device_activity.c.user_id == sa.bindparam("user_id"),
    device_activity.c.timestamp >= sa.bindparam("since"),
    device_activity.c.device_fingerprint != sa.func.coalesce(sa.bindparam("device"), ""),
)
_KNOWN_SCALPER = sa.exists().where(
    known_scalpers.c.tenant_id == sa.bindparam("tenant_id"),
    known_scalpers.c.active,
    sa.or_(
        known_scalpers.c.user_id == sa.bindparam("user_id"),
        sa.and_(
            known_scalpers.c.device_fingerprint.is_not(None),
            known_scalpers.c.device_fingerprint == sa.bindparam("device"),
        ),
    ),
)
# What the device and the buyer's devices say, in one round trip (a NULL device matches
# nothing: no other accounts, no known device).
_DEVICE_FACTS = raw.RawStatement(
    sa.select(
        _ACCOUNTS_ON_DEVICE.scalar_subquery().label("others"),
        _KNOWN_SCALPER.label("known"),
        _DEVICES_OF_USER.scalar_subquery().label("other_devices"),
    )
)
_INSERT_CHECK = raw.RawStatement(
    sa.insert(fraud_checks),
    keys=(
        "tenant_id",
        "id",
        "user_id",
        "event_id",
        "device_fingerprint",
        "ip_address",
        "score",
        "signals",
        "decision",
        "rule",
        "timestamp",
        "idempotency_key",
    ),
)
_INSERT_BOT = raw.RawStatement(
    sa.insert(bot_detections),
    keys=(
        "tenant_id",
        "id",
        "user_id",
        "session_id",
        "is_bot",
        "confidence",
        "indicators",
        "user_agent",
        "created_at",
    ),
)
_INSERT_ACTIVITY = raw.RawStatement(
    sa.insert(device_activity),
    keys=(
        "tenant_id",
        "id",
        "device_fingerprint",
        "user_id",
        "activity_type",
        "metadata",
        "timestamp",
    ),
)


class SqlFraudRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = autocommit(engine)

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
        params = {"tenant_id": tenant_id, "user_id": user_id, "device": device, "since": since}
        async with self._reads.connect() as connection:
            driver = await raw.on(connection)
            # Both reads in one round trip.
            async with driver.pipeline():
                history = await driver.cursor_of(_HISTORY, params)
                device_facts = await driver.cursor_of(_DEVICE_FACTS, params)
                rows = await history.fetchall()
                facts = await device_facts.fetchone()
        if facts is None:  # pragma: no cover - a SELECT of three subqueries has one row
            raise RuntimeError("the device facts query returned no row")
        purchases = PurchaseHistory(
            purchases=tuple(
                PastPurchase(
                    user_id=str(row["user_id"]),
                    event_id=str(row["event_id"]),
                    device_fingerprint=row["device_fingerprint"],
                    payment_method=row["payment_method_id"],
                    address=row["address_fingerprint"],
                    tickets=int(row["ticket_count"]),
                    high_demand=bool(row["high_demand"]),
                    at=row["created_at"],
                )
                for row in rows
            ),
            # Resales enter the history when the marketplace records them (its issue).
            resales=(),
            accounts_on_device=int(facts["others"]) + 1,
            known_scalper=bool(facts["known"]),
        )
        return DeviceHistory(
            purchases=purchases,
            devices_of_user=int(facts["other_devices"]) + (1 if device is not None else 0),
        )

    async def record(
        self,
        tenant_id: uuid.UUID,
        check: FraudCheckRow,
        *,
        bot: BotDetectionRow | None,
        activity: str = "purchase",
    ) -> None:
        """The decision, what the bot detector saw, and the device's activity: one commit."""
        # One round trip: BEGIN, the inserts and COMMIT sent together.
        async with self._reads.connect() as connection:
            driver = await raw.on(connection)
            async with driver.pipeline(), driver.transaction():
                await self._send_record(driver, tenant_id, check, bot=bot, activity=activity)

    async def _send_record(
        self,
        driver: raw.Raw,
        tenant_id: uuid.UUID,
        check: FraudCheckRow,
        *,
        bot: BotDetectionRow | None,
        activity: str,
    ) -> None:
        await driver.send(
            _INSERT_CHECK,
            {
                "tenant_id": tenant_id,
                "id": check.id,
                "user_id": check.user_id,
                "event_id": check.event_id,
                "device_fingerprint": check.device_fingerprint,
                "ip_address": check.ip_address,
                "score": check.score,
                "signals": [dict(signal) for signal in check.signals],
                "decision": check.decision,
                "rule": check.rule,
                "timestamp": check.timestamp,
                "idempotency_key": check.idempotency_key,
            },
        )
        if bot is not None:
            await driver.send(
                _INSERT_BOT,
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "user_id": check.user_id,
                    "session_id": bot.session_id,
                    "is_bot": bot.is_bot,
                    "confidence": bot.confidence,
                    "indicators": list(bot.indicators),
                    "user_agent": bot.user_agent,
                    "created_at": check.timestamp,
                },
            )
        if check.device_fingerprint is not None:
            await driver.send(
                _INSERT_ACTIVITY,
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "device_fingerprint": check.device_fingerprint,
                    "user_id": check.user_id,
                    "activity_type": activity,
                    "metadata": {"fraudCheckId": str(check.id), "decision": check.decision},
                    "timestamp": check.timestamp,
                },
            )

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
        query = sa.select(fraud_checks).where(fraud_checks.c.tenant_id == tenant_id)
        if user_id is not None:
            query = query.where(fraud_checks.c.user_id == user_id)
        if decision is not None:
            query = query.where(fraud_checks.c.decision == decision)
        if since is not None:
            query = query.where(fraud_checks.c.timestamp >= since)
        query = query.order_by(fraud_checks.c.timestamp.desc(), fraud_checks.c.id).limit(limit)
        async with self._reads.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            FraudCheckRow(
                id=row["id"],
                user_id=row["user_id"],
                event_id=row["event_id"],
                device_fingerprint=row["device_fingerprint"],
                ip_address=None if row["ip_address"] is None else str(row["ip_address"]),
                score=row["score"],
                signals=row["signals"],
                decision=row["decision"],
                rule=row["rule"],
                timestamp=row["timestamp"],
                idempotency_key=row["idempotency_key"],
            )
            for row in rows
        ]

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
        now = utcnow()
        async with self._engine.begin() as connection:
            where = [known_scalpers.c.tenant_id == tenant_id, known_scalpers.c.active]
            if user_id is not None:
                where.append(known_scalpers.c.user_id == user_id)
            else:
                where += [
                    known_scalpers.c.user_id.is_(None),
                    known_scalpers.c.device_fingerprint == device_fingerprint,
                ]
            existing = (
                (
                    await connection.execute(
                        sa.update(known_scalpers)
                        .where(*where)
                        .values(reason=reason, confidence_score=confidence)
                        .returning(known_scalpers)
                    )
                )
                .mappings()
                .first()
            )
            if existing is not None:
                return _scalper(existing), False
            inserted = (
                (
                    await connection.execute(
                        insert(known_scalpers)
                        .values(
                            tenant_id=tenant_id,
                            id=uuid.uuid4(),
                            user_id=user_id,
                            device_fingerprint=device_fingerprint,
                            reason=reason,
                            confidence_score=confidence,
                            active=True,
                            added_by=added_by,
                            added_at=now,
                        )
                        .returning(known_scalpers)
                    )
                )
                .mappings()
                .one()
            )
        return _scalper(inserted), True

    async def remove_scalper(self, tenant_id: uuid.UUID, scalper_id: uuid.UUID) -> bool:
        """Deactivate an entry (kept for the record); False if no active entry has the id."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.update(known_scalpers)
                .where(
                    known_scalpers.c.tenant_id == tenant_id,
                    known_scalpers.c.id == scalper_id,
                    known_scalpers.c.active,
                )
                .values(active=False, removed_at=sa.func.now())
            )
        return result.rowcount == 1

    async def scalpers(self, tenant_id: uuid.UUID) -> list[KnownScalperRow]:
        async with self._reads.connect() as connection:
            rows = (
                (
                    await connection.execute(
                        sa.select(known_scalpers)
                        .where(known_scalpers.c.tenant_id == tenant_id, known_scalpers.c.active)
                        .order_by(known_scalpers.c.added_at.desc())
                    )
                )
                .mappings()
                .all()
            )
        return [_scalper(row) for row in rows]

    async def policy(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID
    ) -> tuple[object | None, object | None]:
        """(velocity JSON, rules JSON): the event's where it set them, else the tenant's,
        else None (the built-in defaults)."""
        async with self._reads.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(
                        fraud_policies.c.event_id,
                        fraud_policies.c.velocity,
                        fraud_policies.c.rules,
                    ).where(
                        fraud_policies.c.tenant_id == tenant_id,
                        fraud_policies.c.event_id.in_([event_id, TENANT_POLICY]),
                    )
                )
            ).all()
        by_scope = {row.event_id: row for row in rows}
        event, tenant = by_scope.get(event_id), by_scope.get(TENANT_POLICY)
        velocity = next((row.velocity for row in (event, tenant) if row and row.velocity), None)
        rules = next((row.rules for row in (event, tenant) if row and row.rules), None)
        return velocity, rules

    async def put_policy(
        self,
        tenant_id: uuid.UUID,
        event_id: uuid.UUID | None,
        *,
        velocity: object | None,
        rules: object | None,
    ) -> None:
        """Set (or with None, clear) the velocity limits and rules of a tenant or event."""
        now = utcnow()
        values = {"velocity": velocity, "rules": rules, "updated_at": now}
        statement = insert(fraud_policies).values(
            tenant_id=tenant_id, event_id=event_id or TENANT_POLICY, created_at=now, **values
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "event_id"], set_=values
                )
            )


def _scalper(row: sa.RowMapping) -> KnownScalperRow:
    return KnownScalperRow(
        id=uuid.UUID(str(row["id"])),
        user_id=None if row["user_id"] is None else uuid.UUID(str(row["user_id"])),
        device_fingerprint=None
        if row["device_fingerprint"] is None
        else str(row["device_fingerprint"]),
        reason=str(row["reason"]),
        confidence_score=Decimal(str(row["confidence_score"])),
        active=bool(row["active"]),
        added_at=row["added_at"],
    )
