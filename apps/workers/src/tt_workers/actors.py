"""Actors: thin, they take ids (or nothing), call the service layer, and return.

Declared on a given broker by ``declare_actors`` rather than at import, so importing this
module builds nothing. A process that only sends messages declares them on its own
broker the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import dramatiq

from tt_workers.services import Services

OUTBOX_QUEUE = "outbox"
JOBS_QUEUE = "jobs"

_log = logging.getLogger(__name__)


@attrs.frozen
class Actors:
    relay_outbox: dramatiq.Actor[[], Any]
    periodic: dict[str, dramatiq.Actor[[], Any]]
    """The periodic jobs (tt_payments.jobs), by name."""


def declare_actors(broker: dramatiq.Broker, services: Services) -> Actors:
    @dramatiq.actor(
        broker=broker, queue_name=OUTBOX_QUEUE, actor_name="relay_outbox", max_retries=0
    )
    async def relay_outbox() -> None:
        """One outbox relay pass now, e.g. after a redrive; the relay loop runs one every
        second anyway, so a lost or failed message costs nothing and is not retried."""
        report = await services.container.outbox_relay.relay_once()
        _log.info("outbox relay pass (on demand)", extra={"report": attrs.asdict(report)})

    periodic = {
        name: _periodic_actor(broker, services, name) for name in services.container.jobs.by_name()
    }
    return Actors(relay_outbox=relay_outbox, periodic=periodic)


def _periodic_actor(
    broker: dramatiq.Broker, services: Services, name: str
) -> dramatiq.Actor[[], Any]:
    async def run_job() -> None:
        """One run of a periodic job; skipped when another run holds its lock. Not
        retried: the schedule sends the next one soon enough."""
        report = await services.container.jobs.by_name()[name]()
        if report is None:
            _log.info("periodic job %s skipped: another run holds its lock", name)
        else:
            _log.info("periodic job %s done", name, extra={"report": report})

    run_job.__name__ = name
    return dramatiq.actor(
        run_job, broker=broker, queue_name=JOBS_QUEUE, actor_name=name, max_retries=0
    )
