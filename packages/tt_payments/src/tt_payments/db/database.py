"""The PostgreSQL engine: one async SQLAlchemy engine per process, psycopg 3 underneath."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tt_payments.settings import SettingsError

Engine = AsyncEngine
Connection = AsyncConnection


def sqlalchemy_url(url: str) -> str:
    """``postgresql://...`` as given by operators, with the psycopg 3 driver named."""
    try:
        parsed = make_url(url)
    except Exception as error:  # sqlalchemy raises ArgumentError and ValueError alike
        raise SettingsError(f"TT_DATABASE_URL is not a database URL: {error}") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise SettingsError("TT_DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at the database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection idle longer than this is pinged before it is handed out."""


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 0,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    """The process's engine. A connection back in the pool for more than
    ``ping_after_idle`` seconds is pinged on checkout, and replaced if the server is gone
    (a restarted PostgreSQL, a dropped idle connection). One in use a moment ago is not:
    SQLAlchemy's ``pool_pre_ping`` pinged on every checkout, nine round trips of a payment's
    forty (issue 14). A server lost within that moment fails the statement that finds out,
    as it would fail one mid-request with pre-ping, and the pool drops the connection.

    ``pool_size`` connections at most by default, no overflow: on two cores, 32 concurrent
    payments ran at 141-144/s through 10 connections, 81 through 20 + 20 and 109-128 through
    10 + 4 or 10 + 10 (overflow connections are opened and closed again under load;
    more backends compete with the server for the same cores). A request waits for a
    connection instead; ``pool_timeout`` (30 s) bounds the wait."""
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    pool_events = engine.sync_engine.pool

    @event.listens_for(pool_events, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["tt_idle_since"] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("tt_idle_since")
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return  # new, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:  # whatever the driver raises for a dead connection
            alive = False
        if not alive:
            # The pool discards this connection and checks out another (documented in
            # SQLAlchemy's "Disconnect Handling - Pessimistic", custom variant).
            raise DisconnectionError("the pooled connection did not answer a ping")


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool with each connection in autocommit, for reads and for a write that is
    one statement on its own: it costs its statement's round trip alone, not a BEGIN and a
    COMMIT or ROLLBACK around it as well (two of the three round trips of a one-statement
    read, measured on the payment path). Each statement still sees one snapshot, as under
    READ COMMITTED; never use it for writes that must commit together."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
