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

_log = logging.getLogger(__name__)


@attrs.frozen
class Actors:
    relay_outbox: dramatiq.Actor[[], Any]


def declare_actors(broker: dramatiq.Broker, services: Services) -> Actors:
    @dramatiq.actor(
        broker=broker, queue_name=OUTBOX_QUEUE, actor_name="relay_outbox", max_retries=0
    )
    async def relay_outbox() -> None:
        """One outbox relay pass now, e.g. after a redrive; the relay loop runs one every
        second anyway, so a lost or failed message costs nothing and is not retried."""
        report = await services.container.outbox_relay.relay_once()
        _log.info("outbox relay pass (on demand)", extra={"report": attrs.asdict(report)})

    return Actors(relay_outbox=relay_outbox)
