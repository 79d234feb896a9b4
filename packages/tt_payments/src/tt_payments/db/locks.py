"""PostgreSQL advisory locks: one holder at a time for a named piece of work."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@contextlib.asynccontextmanager
async def advisory_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Hold PostgreSQL's session advisory lock ``name`` for the block, if it is free.

    Yields False (and holds nothing) when another session has it: periodic jobs use it so
    that runs from several workers, or a run from the CLI beside them, never overlap.
    """
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    async with engine.connect() as connection:
        got = bool((await connection.execute(_TRY_LOCK, {"key": key})).scalar_one())
        await connection.commit()
        try:
            yield got
        finally:
            if got:
                await connection.execute(_UNLOCK, {"key": key})
                await connection.commit()


_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


class SqlLocks:
    """``Locks`` as PostgreSQL session advisory locks on ``engine``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def exclusive(self, name: str) -> contextlib.AbstractAsyncContextManager[bool]:
        return advisory_lock(self._engine, name)
