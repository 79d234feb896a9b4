"""Where the simulated processor keeps its payments: a small store of JSON documents.

The simulated processor's rules live in ``SimulatedProvider``; its state lives behind
``SimulatorStore``, so one process or many can share it:

- ``MemorySimulatorStore`` (the default, and what tests use) keeps the documents in this
  process, at most ``max_documents`` of them: past that, the oldest written goes first.
  A long-running embedded server therefore stays the same size however many payments it
  takes; a payment forgotten this way answers "No such payment_intent", as after a restart.
- ``RedisSimulatorStore`` (``tt_payments.adapters.simulator_redis``) keeps them in Redis
  for ``ttl_seconds``, shared by every ``tt serve`` worker, the CLI and the worker process,
  so a 3-D Secure confirmation or a refund that reaches another process finds its payment.

``update`` is the one way to change state: it reads ``keys``, calls ``change`` with what
it read, and writes what ``change`` returns, as if nothing else ran meanwhile (the memory
store holds a lock; Redis watches the keys and calls ``change`` again when one moved). An
exception from ``change`` writes nothing and reaches the caller.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

__all__ = ["Change", "MemorySimulatorStore", "SimulatorStore"]

Change = Callable[[Sequence[str | None]], Mapping[str, str]]
"""Given the documents at the keys asked for (None where absent), the documents to write."""


class SimulatorStore(Protocol):
    async def get(self, key: str) -> str | None:
        """The document at ``key``, or None."""
        ...

    async def update(self, keys: Sequence[str], change: Change) -> None:
        """Read ``keys``, then write what ``change`` returns, atomically (see the module)."""
        ...

    async def documents(self, prefix: str) -> list[str]:
        """Every document whose key starts with ``prefix`` (any order)."""
        ...


class MemorySimulatorStore:
    """The documents in this process: at most ``max_documents``, the oldest written
    forgotten first."""

    def __init__(self, *, max_documents: int = 20_000) -> None:
        if isinstance(max_documents, bool) or max_documents < 1:
            raise ValueError(f"max_documents must be a positive int, not {max_documents!r}")
        self._max = max_documents
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, key: str) -> str | None:
        return self._documents.get(key)

    async def update(self, keys: Sequence[str], change: Change) -> None:
        async with self._lock:
            writes = change([self._documents.get(key) for key in keys])
            for key, document in writes.items():
                self._documents[key] = document
                self._documents.move_to_end(key)
            while len(self._documents) > self._max:
                self._documents.popitem(last=False)

    async def documents(self, prefix: str) -> list[str]:
        return [value for key, value in self._documents.items() if key.startswith(prefix)]
