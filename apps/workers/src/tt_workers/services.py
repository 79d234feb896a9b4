"""The container and the outbox relay loop, living on the worker's event loop.

Dramatiq runs coroutine actors on one event-loop thread (the AsyncIO middleware). The
container's pools and the relay's broker connection are bound to the loop that first
uses them, so the relay loop runs on that same thread and the container is closed there,
after the last actor has finished.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread

from tt_payments import Container
from tt_payments.outbox import RelayLoop


class Services(dramatiq.Middleware):
    """Gives actors the container; runs the relay loop from boot to shutdown.

    Add it after the AsyncIO middleware: "after" hooks run in reverse order, so its
    shutdown hook runs while the event loop is still alive.
    """

    def __init__(self, container: Container, *, relay: bool = True) -> None:
        self.container = container
        self._relay = RelayLoop(container.outbox_relay) if relay else None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self._relay is not None:
            _run_on_worker_loop(self._start_relay())

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self._relay is not None:
            _run_on_worker_loop(self._relay.stop())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        _run_on_worker_loop(self.container.aclose())

    async def _start_relay(self) -> None:
        assert self._relay is not None
        self._relay.start()


def _run_on_worker_loop(coroutine: Any) -> None:
    thread = get_event_loop_thread()
    if thread is None:
        coroutine.close()
        raise RuntimeError("the AsyncIO middleware must come before Services")
    thread.run_coroutine(coroutine)
