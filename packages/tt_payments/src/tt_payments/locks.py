"""The lock a periodic job takes so that two runs never overlap (several workers, or the
CLI beside them): ``async with locks.exclusive(name) as got: ...``; ``got`` is False,
and nothing is held, when another run has it. PostgreSQL advisory locks in production
(``tt_payments.db.locks.SqlLocks``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

__all__ = ["Locks"]


class Locks(Protocol):
    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the lock ``name`` for the block if it is free."""
        ...
