"""``UnitOfWork`` on PostgreSQL: one ``engine.begin()`` per block, the context's
repositories bound to its connection."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["SqlUnitOfWork"]

R = TypeVar("R")


class SqlUnitOfWork(Generic[R]):
    """``bind`` turns the block's connection into what the context's services use."""

    def __init__(self, engine: AsyncEngine, bind: Callable[[AsyncConnection], R]) -> None:
        self._engine = engine
        self._bind = bind

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[R]:
        async with self._engine.begin() as connection:
            yield self._bind(connection)
