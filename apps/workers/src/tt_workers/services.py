"""The container and the outbox relay loop, living on the worker's event loop.

Dramatiq runs coroutine actors on one event-loop thread (the AsyncIO middleware). The
container's pools and the relay's broker connection are bound to the loop that first
uses them, so the relay loop runs on that same thread and the container is closed there,
after the last actor has finished.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread

from tt_payments import Container
from tt_payments.outbox import RelayLoop

_log = logging.getLogger(__name__)


class Services(dramatiq.Middleware):
    """Gives actors the container; runs the relay loop from boot to shutdown.

    Add it after the AsyncIO middleware: "after" hooks run in reverse order, so its
    shutdown hook runs while the event loop is still alive.
    """

    def __init__(self, container: Container, *, relay: bool = True) -> None:
        self.container = container
        self._relay = RelayLoop(container.outbox_relay, container.deliveries) if relay else None
        self.schedule: Schedule | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self._relay is not None:
            _run_on_worker_loop(self._start_relay())
        if self.schedule is not None:
            self.schedule.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self.schedule is not None:
            self.schedule.stop()
        if self._relay is not None:
            _run_on_worker_loop(self._relay.stop())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        _run_on_worker_loop(self.container.aclose())

    async def _start_relay(self) -> None:
        assert self._relay is not None
        self._relay.start()


class Schedule:
    """Sends each periodic job's message when it is due (a thread of the worker).

    Every worker process sends on its own schedule; the jobs' advisory locks keep runs
    from overlapping, so extra messages cost a lock attempt and nothing else.
    """

    def __init__(
        self, actors: Mapping[str, dramatiq.Actor[[], Any]], every: Mapping[str, dt.timedelta]
    ) -> None:
        self._actors = actors
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tt-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        due = dict.fromkeys(self._actors, time.monotonic())  # everything once at boot
        while not self._stop.is_set():
            now = time.monotonic()
            for name, actor in self._actors.items():
                if now >= due[name]:
                    try:
                        actor.send()
                    except Exception:
                        _log.exception("could not send periodic job %s", name)
                    due[name] = now + self._every[name].total_seconds()
            self._stop.wait(min(due.values()) - time.monotonic() if due else 1.0)


def _run_on_worker_loop(coroutine: Any) -> None:
    thread = get_event_loop_thread()
    if thread is None:
        coroutine.close()
        raise RuntimeError("the AsyncIO middleware must come before Services")
    thread.run_coroutine(coroutine)
