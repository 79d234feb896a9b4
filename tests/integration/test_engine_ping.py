"""The pool pings a connection that sat idle, and replaces it when the server dropped it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_payments.db.database import create_engine


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid: int = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def drop_the_pooled_connection(engine: AsyncEngine, url: str) -> int:
    """The server ends the session of the one pooled connection while it sits in the pool;
    its backend's pid."""
    pid = await backend_pid(engine)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    await asyncio.sleep(0.2)
    return pid


async def test_an_idle_connection_dropped_by_the_server_is_replaced_unseen(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    engine = create_engine(url, pool_size=1, ping_after_idle=0.05)
    try:
        dropped = await drop_the_pooled_connection(engine, url)
        assert await backend_pid(engine) != dropped
    finally:
        await engine.dispose()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    fresh_database: Callable[[], str],
) -> None:
    """The trade-off, shown: no ping within the idle window, so a connection the server
    dropped in that window fails the statement that finds out (and is then replaced)."""
    url = fresh_database()
    engine = create_engine(url, pool_size=1, ping_after_idle=60)
    try:
        dropped = await drop_the_pooled_connection(engine, url)
        with pytest.raises(sa.exc.OperationalError):
            await backend_pid(engine)
        assert await backend_pid(engine) != dropped
    finally:
        await engine.dispose()
