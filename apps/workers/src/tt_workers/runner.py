"""Run the Dramatiq worker threads and the outbox relay until told to stop."""

from __future__ import annotations

import asyncio
import threading

import dramatiq

from tt_payments import Container
from tt_payments.jobs import SCHEDULE
from tt_workers.actors import declare_actors
from tt_workers.broker import build_broker
from tt_workers.services import Schedule, Services

_STOP_POLL_SECONDS = 0.5


def run_worker(container: Container, *, until: threading.Event, threads: int = 4) -> None:
    """Consume the actors' queues and relay the outbox until ``until`` is set.

    Takes ownership of ``container``: it is closed when the worker has stopped (messages
    in flight finish first; unstarted ones go back to the broker).
    """
    try:
        broker = build_broker(container.settings, container.infrastructure.redis_url)
    except BaseException:
        asyncio.run(container.aclose())
        raise
    services = Services(container)
    broker.add_middleware(services)
    actors = declare_actors(broker, services)
    services.schedule = Schedule(actors.periodic, SCHEDULE)
    worker = dramatiq.Worker(broker, worker_threads=threads)
    try:
        worker.start()
        while not until.wait(_STOP_POLL_SECONDS):
            pass
    finally:
        worker.stop()
        broker.close()
