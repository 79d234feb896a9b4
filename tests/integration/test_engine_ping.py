"""The pool pings a connection that sat idle, and replaces it when the server dropped it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest
import sqlalchemy as sa

from tt_payments.db.database import create_engine


async def test_an_idle_connection_dropped_by_the_server_is_replaced_unseen(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    engine = create_engine(url, pool_size=1, ping_after_idle=0.05)
    try:
        async with engine.connect() as connection:
            first_pid = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        # The server ends the pooled connection's session while it sits in the pool.
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        await asyncio.sleep(0.2)
        async with engine.connect() as connection:
            second_pid = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        assert second_pid != first_pid
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
        async with engine.connect() as connection:
            first_pid = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        await asyncio.sleep(0.2)
        with pytest.raises(sa.exc.OperationalError):
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        async with engine.connect() as connection:
            assert (await connection.execute(sa.text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
