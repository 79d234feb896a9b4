"""Idempotency records in PostgreSQL: one row per tenant + user + key."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_payments.clock import utcnow
from tt_payments.db import raw
from tt_payments.db.database import autocommit
from tt_payments.db.tables.idempotency import payment_idempotency as records
from tt_payments.idempotency import (
    KEEP_SUCCESS,
    LEASE,
    Claim,
    DuplicateInProgressError,
    IdempotencyKeyReusedError,
    IdempotencyScope,
    Outcome,
    retention,
)

# Built once, executed with parameters: begin and finish run on every money-moving request.
_FRESH = (
    "operation",
    "request_hash",
    "status",
    "response_status",
    "response_body",
    "locked_until",
    "created_at",
    "expires_at",
)
_CLAIM = raw.RawStatement(
    insert(records).on_conflict_do_nothing().returning(records.c.status),
    keys=("tenant_id", "user_id", "idempotency_key", *_FRESH),
)
_WHERE_KEY = (
    records.c.tenant_id == sa.bindparam("w_tenant_id"),
    records.c.user_id == sa.bindparam("w_user_id"),
    records.c.idempotency_key == sa.bindparam("w_key"),
)
_FINISH = raw.RawStatement(
    sa.update(records).where(*_WHERE_KEY),
    keys=("status", "response_status", "response_body", "locked_until", "expires_at"),
)
_FORGET = raw.RawStatement(sa.delete(records).where(*_WHERE_KEY))


class SqlIdempotencyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._autocommit = autocommit(engine)

    async def begin(self, scope: IdempotencyScope) -> Claim:
        now = utcnow()
        fresh = {
            "operation": scope.operation,
            "request_hash": scope.request_hash,
            "status": "in_progress",
            "response_status": None,
            "response_body": None,
            "locked_until": now + LEASE,
            "created_at": now,
            "expires_at": now + KEEP_SUCCESS,
        }
        # A new key (the common case) is one statement on its own: the insert either
        # claims it or finds it taken, atomically, without a transaction around it.
        async with self._autocommit.connect() as connection:
            if await (await raw.on(connection)).first(_CLAIM, {**_key(scope), **fresh}):
                return Claim(outcome=Outcome.STARTED)
        async with self._engine.begin() as connection:
            if await (await raw.on(connection)).first(_CLAIM, {**_key(scope), **fresh}):
                return Claim(outcome=Outcome.STARTED)  # forgotten meanwhile (a 5xx)
            row = (
                (
                    await connection.execute(
                        sa.select(records).where(*_where(scope)).with_for_update()
                    )
                )
                .mappings()
                .one()
            )
            if row["expires_at"] <= now:
                # The old record has lapsed: the key starts afresh.
                await connection.execute(sa.update(records).where(*_where(scope)).values(**fresh))
                return Claim(outcome=Outcome.STARTED)
            if row["request_hash"] != scope.request_hash or row["operation"] != scope.operation:
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used with a different request; "
                    "generate a new key for a new request"
                )
            if row["status"] == "completed":
                return Claim(
                    outcome=Outcome.REPLAY,
                    response_status=row["response_status"],
                    response_body=bytes(row["response_body"]),
                )
            if row["locked_until"] is not None and row["locked_until"] > now:
                raise DuplicateInProgressError(
                    "a request with this Idempotency-Key is still being processed; "
                    "retry after it finishes"
                )
            await connection.execute(
                sa.update(records).where(*_where(scope)).values(locked_until=now + LEASE)
            )
            return Claim(outcome=Outcome.RESUMED)

    async def finish(self, scope: IdempotencyScope, status: int, body: bytes) -> None:
        async with self._engine.begin() as connection:
            await finish_in(connection, scope, status, body)

    async def release(self, scope: IdempotencyScope) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.update(records)
                .where(*_where(scope), records.c.status == "in_progress")
                .values(locked_until=utcnow())
            )


def _key(scope: IdempotencyScope) -> dict[str, object]:
    return {"tenant_id": scope.tenant_id, "user_id": scope.user_id, "idempotency_key": scope.key}


def _where(scope: IdempotencyScope) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        records.c.tenant_id == scope.tenant_id,
        records.c.user_id == scope.user_id,
        records.c.idempotency_key == scope.key,
    )


async def finish_in(
    connection: AsyncConnection, scope: IdempotencyScope, status: int, body: bytes
) -> None:
    """Store the response for ``scope`` in the caller's transaction (or forget a 5xx)."""
    where = {
        "w_tenant_id": scope.tenant_id,
        "w_user_id": scope.user_id,
        "w_key": scope.key,
    }
    keep = retention(status)
    driver = await raw.on(connection)
    if keep is None:
        await driver.execute(_FORGET, where)
        return
    await driver.execute(
        _FINISH,
        {
            **where,
            "status": "completed",
            "response_status": status,
            "response_body": body,
            "locked_until": None,
            "expires_at": utcnow() + keep,
        },
    )


class SqlAnswerWriter:
    """``AnswerWriter`` on one open transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def finish(self, scope: IdempotencyScope, status: int, body: bytes) -> None:
        await finish_in(self._connection, scope, status, body)
