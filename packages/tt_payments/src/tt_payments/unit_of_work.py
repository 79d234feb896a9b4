"""The one way a service opens a transaction: ``async with self._uow() as tx: ...``.

A context names what its transactions hold (its repositories, the ledger, the outbox,
each bound to one transaction) as a Protocol ``R``, and takes a ``UnitOfWork[R]``. The
block commits when it ends normally and rolls back when it raises, so what a service
records in one block (a state change, its journal entry and its outbox event) is
written together or not at all. ``tt_payments.db.SqlUnitOfWork`` is the PostgreSQL
implementation; tests pass in-memory ones.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

__all__ = ["UnitOfWork"]

R_co = TypeVar("R_co", covariant=True)


class UnitOfWork(Protocol[R_co]):
    def __call__(self) -> AbstractAsyncContextManager[R_co]:
        """Open one transaction; the block gets ``R`` bound to it."""
        ...
