"""The outbox relay: publish committed outbox rows to the event broker, at least once.

A business change and its outbox row commit in one transaction
(``PaymentsUnitOfWork.append_event``). The relay then, pass after pass:

1. claims up to ``batch_size`` due rows with ``FOR UPDATE SKIP LOCKED`` in one database
   transaction, so concurrent relays (several workers, ``tt serve`` beside ``tt worker``)
   never hold the same row;
2. publishes each row's envelope and waits for the broker's confirm;
3. in that same transaction marks the confirmed rows processed, gives each failed row
   ``min(2 ** failures, 300)`` seconds of backoff, and moves a row that failed for the
   ``MAX_ATTEMPTS``-th time to ``outbox_dlq``; then commits.

The row locks are held while publishing, not leased: correctness does not depend on a
lease outlasting a slow broker. A crash between the confirm and the commit rolls the
transaction back and the rows are published again with the same message id (the event
id), which consumers deduplicate on: at least once, never "at most once".

A broker that cannot be reached (``PublisherUnavailableError``) is nobody's event's
fault: the pass stops counting, the rows stay due with their attempts unchanged, and no
event reaches the dead-letter table because RabbitMQ was restarting.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING, Protocol

import attrs

from tt_payments.outbox.records import OutboxEvent, PublisherUnavailableError

if TYPE_CHECKING:
    from tt_payments.outbox.ports import EventPublisher, OutboxClaim, OutboxStore

MAX_ATTEMPTS = 5
"""The fifth failed publication of a row moves it to ``outbox_dlq``."""
MAX_BACKOFF = dt.timedelta(minutes=5)
_ERROR_TEXT_LIMIT = 2000

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class RelayReport:
    """What one pass did. Published rows are marked processed; see ``relay_once``."""

    claimed: int = 0
    published: int = 0
    retrying: int = 0
    """Failed this pass and scheduled for a later attempt."""
    dead_lettered: int = 0
    """Failed for the ``MAX_ATTEMPTS``-th time and moved to ``outbox_dlq``."""
    deferred: int = 0
    """Left untouched (attempts unchanged) because the broker was unavailable."""


def backoff(failures: int) -> dt.timedelta:
    """Delay before the next attempt after ``failures`` failed ones: 2 s, 4 s, 8 s ... 5 min."""
    if failures < 1:
        raise ValueError("backoff follows at least one failure")
    if failures >= 9:  # 2**9 s already exceeds the cap; avoid huge powers
        return MAX_BACKOFF
    return min(dt.timedelta(seconds=2**failures), MAX_BACKOFF)


@attrs.define
class OutboxRelay:
    """Moves committed outbox rows to the broker; safe to run in any number of processes."""

    store: OutboxStore
    publisher: EventPublisher
    batch_size: int = 100
    interval: dt.timedelta = dt.timedelta(seconds=1)

    async def relay_once(self) -> RelayReport:
        """Publish one batch of due rows.

        Side effects, in one database transaction that holds the rows' locks: confirmed
        rows get ``processed_at``; failed rows get ``attempts + 1``, ``last_error`` and a
        later ``next_attempt_at``, or move to ``outbox_dlq`` on their ``MAX_ATTEMPTS``-th
        failure. Rows the broker could not be reached for are left as they were.
        Idempotency: a row is published again only if this transaction does not commit,
        with the same message id.
        """
        async with self.store.claim(self.batch_size) as claim:
            events = claim.events
            if not events:
                return RelayReport()
            outcomes = await asyncio.gather(
                *(self.publisher.publish(event) for event in events), return_exceptions=True
            )
            published: list[OutboxEvent] = []
            deferred = retrying = dead_lettered = 0
            for event, outcome in zip(events, outcomes, strict=True):
                if outcome is None:
                    published.append(event)
                elif isinstance(outcome, PublisherUnavailableError):
                    if not deferred:
                        _log.warning("event broker unavailable: %s", outcome.message)
                    deferred += 1
                elif isinstance(outcome, Exception):
                    if await _record_failure(claim, event, outcome):
                        dead_lettered += 1
                    else:
                        retrying += 1
                else:  # cancelled while publishing: roll back, publish again later
                    raise outcome
            await claim.published(published)
        return RelayReport(
            claimed=len(events),
            published=len(published),
            retrying=retrying,
            dead_lettered=dead_lettered,
            deferred=deferred,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set: a pass every ``interval``, at once after a full one.

        A pass that fails (the database is down) is logged and retried after
        ``interval``; the loop itself only ends when asked to.
        """
        while not stop.is_set():
            full = False
            try:
                report = await self.relay_once()
            except Exception:
                _log.exception("outbox relay pass failed")
            else:
                full = report.claimed >= self.batch_size and report.deferred == 0
                if report.claimed:
                    _log.debug("outbox relay pass", extra={"report": attrs.asdict(report)})
            if not full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval.total_seconds())


class Runs(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


class RelayLoop:
    """Loops that run until told to stop (``OutboxRelay.run``, the event subscribers'
    ``DeliveryDispatcher.run``) as background tasks of the running event loop."""

    def __init__(self, *loops: Runs) -> None:
        self._loops = loops
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start them in the background; call from the loop they should run on."""
        if self._tasks:
            raise RuntimeError("the relay loop is already running")
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(loop.run(self._stop), name=f"relay-{type(loop).__name__}")
            for loop in self._loops
        ]

    async def stop(self) -> None:
        """Let each current pass finish, then end the loops. Idempotent."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._stop.set()
        await asyncio.gather(*tasks)


async def _record_failure(claim: OutboxClaim, event: OutboxEvent, failure: Exception) -> bool:
    """Schedule the next attempt, or dead-letter the row; True when it was dead-lettered."""
    error = _describe(failure)
    failures = event.attempts + 1
    if failures >= MAX_ATTEMPTS:
        await claim.dead_letter(event, error)
        _log.error(
            "outbox event moved to the dead-letter table",
            extra={"eventId": str(event.event_id), "error": error},
        )
        return True
    delay = backoff(failures)
    await claim.retry_later(event, error, delay)
    _log.warning(
        "outbox event not published; retrying in %s s",
        int(delay.total_seconds()),
        extra={"eventId": str(event.event_id), "error": error},
    )
    return False


def _describe(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:_ERROR_TEXT_LIMIT]
