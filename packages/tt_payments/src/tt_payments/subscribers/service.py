"""Subscribers (admin: add, list, remove, deliveries, redrive) and the dispatcher that
delivers each event to each subscriber that wants it.

A delivery row is written with its outbox row, in the business change's transaction
(``outbox/sql.py``), so an event that committed is always delivered and one that rolled
back never is. The dispatcher, pass after pass (any number of processes):

1. claims due deliveries ``FOR UPDATE SKIP LOCKED``, only the oldest not-yet-delivered one
   of each ordering key per subscriber (the payment an event is about, else its
   aggregate), so a subscriber sees one payment's events in the order they committed;
2. POSTs each event's envelope, signed with the subscriber's secret in the scheme of our
   internal auth (``x-internal-service: payment-service``, timestamp, nonce, HMAC-SHA256
   over method, path, query, timestamp, nonce and the body's hash), and the headers
   ``x-tt-event-id`` / ``x-tt-event-type`` / ``x-tt-delivery-attempt``;
3. records, in the claim's transaction: 2xx delivered; anything else (a status, a
   timeout, a closed connection) another attempt after ``backoff`` (2 s, 4 s ... 5 min),
   and after ``max_attempts`` failures ``dead``, which holds back that payment's later
   events for that subscriber until an operator redrives it.

At least once: a crash after the POST and before the commit sends the event again, with
the same ``x-tt-event-id`` (the envelope's ``id``), which receivers deduplicate on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import urllib.parse
import uuid
from collections.abc import Callable, Sequence

import attrs

from tt_money.errors import InvalidInputError
from tt_payments.auth.identity import Principal, Role
from tt_payments.auth.internal import signed_headers
from tt_payments.clock import utcnow
from tt_payments.outbox.relay import backoff
from tt_payments.subscribers.ports import DeliveryClaim, EventSender, SubscriberStore
from tt_payments.subscribers.records import (
    Delivery,
    DeliveryStatus,
    DeliveryView,
    DispatchReport,
    SendResult,
    Subscriber,
    SubscriberNotFoundError,
)

SENDER = "payment-service"
"""``x-internal-service`` of our deliveries: receivers look the secret up by it."""
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_MIN_SECRET = 24
_MAX_URL = 2000

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class SubscriberService:
    store: SubscriberStore
    clock: Callable[[], dt.datetime] = utcnow

    async def add(
        self,
        principal: Principal,
        *,
        url: str,
        event_types: Sequence[str] = (),
        secret: str | None = None,
    ) -> Subscriber:
        """Admin only: a new subscriber of the tenant's events (``event_types``; none:
        every type). Without ``secret`` one is generated; it is shown only here."""
        principal.require_role(Role.ADMIN)
        problems = []
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > _MAX_URL:
            problems.append(("url", "must be an http:// or https:// URL"))
        bad = [kind for kind in event_types if not _EVENT_TYPE.match(kind)]
        if bad:
            problems.append(("eventTypes", f"not event types: {', '.join(bad)}"))
        if secret is not None and len(secret) < _MIN_SECRET:
            problems.append(("secret", f"must be at least {_MIN_SECRET} characters"))
        if problems:
            raise InvalidInputError("Validation failed", details=tuple(problems))
        subscriber = Subscriber(
            tenant_id=principal.tenant_id,
            id=uuid.uuid4(),
            url=url,
            event_types=tuple(dict.fromkeys(event_types)),
            secret=secret or secrets.token_urlsafe(32),
            created_at=self.clock(),
        )
        await self.store.add(subscriber)
        return subscriber

    async def of_tenant(self, principal: Principal) -> list[Subscriber]:
        principal.require_role(Role.ADMIN)
        return await self.store.of_tenant(principal.tenant_id)

    async def remove(self, principal: Principal, subscriber_id: uuid.UUID) -> None:
        """Admin only: the subscriber and its undelivered events go."""
        principal.require_role(Role.ADMIN)
        if not await self.store.remove(principal.tenant_id, subscriber_id):
            raise SubscriberNotFoundError(f"subscriber {subscriber_id} was not found")

    async def deliveries(
        self,
        principal: Principal,
        *,
        status: DeliveryStatus | None = None,
        subscriber_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[DeliveryView]:
        principal.require_role(Role.ADMIN)
        return await self.store.deliveries(
            principal.tenant_id, status=status, subscriber_id=subscriber_id, limit=limit
        )

    async def redrive(
        self,
        principal: Principal,
        *,
        ids: Sequence[int] | None = None,
        subscriber_id: uuid.UUID | None = None,
    ) -> int:
        """Admin only: dead deliveries are tried again now, in their order."""
        principal.require_role(Role.ADMIN)
        return await self.store.redrive(principal.tenant_id, ids=ids, subscriber_id=subscriber_id)


@attrs.define
class DeliveryDispatcher:
    store: SubscriberStore
    sender: EventSender
    batch_size: int = 50
    max_attempts: int = 8
    interval: dt.timedelta = dt.timedelta(seconds=1)
    backoff: Callable[[int], dt.timedelta] = backoff
    """The pause after the n-th failed attempt (the outbox relay's: 2 s, 4 s ... 5 min)."""

    async def dispatch_once(self) -> DispatchReport:
        """Send one batch of due deliveries; see the module docstring."""
        async with self.store.claim(self.batch_size) as claim:
            due = claim.deliveries
            if not due:
                return DispatchReport()
            results = await asyncio.gather(*(self._send(delivery) for delivery in due))
            delivered = retrying = dead = 0
            for delivery, result in zip(due, results, strict=True):
                if result.ok:
                    await claim.delivered(delivery, result)
                    delivered += 1
                elif await self._failed(claim, delivery, result):
                    dead += 1
                else:
                    retrying += 1
        return DispatchReport(claimed=len(due), delivered=delivered, retrying=retrying, dead=dead)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set: a pass every ``interval``, at once after a
        full one; a pass that fails (the database is down) is logged and retried."""
        while not stop.is_set():
            full = False
            try:
                report = await self.dispatch_once()
            except Exception:
                _log.exception("event delivery pass failed")
            else:
                full = report.claimed >= self.batch_size
            if not full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval.total_seconds())

    async def _send(self, delivery: Delivery) -> SendResult:
        body = json.dumps(delivery.envelope, separators=(",", ":"), sort_keys=True).encode()
        parts = urllib.parse.urlsplit(delivery.url)
        headers = {
            "content-type": "application/json",
            "x-tt-event-id": str(delivery.event_id),
            "x-tt-event-type": delivery.event_type,
            "x-tt-delivery-attempt": str(delivery.attempts + 1),
            **signed_headers(
                service=SENDER,
                secret=delivery.secret,
                method="POST",
                path=parts.path or "/",
                raw_query=parts.query,
                body=body,
                nonce=secrets.token_urlsafe(24),
            ),
        }
        return await self.sender.send(delivery.url, body, headers)

    async def _failed(self, claim: DeliveryClaim, delivery: Delivery, result: SendResult) -> bool:
        failures = delivery.attempts + 1
        if failures >= self.max_attempts:
            await claim.dead(delivery, result)
            _log.error(
                "event delivery dead-lettered after %s attempts",
                failures,
                extra={
                    "eventId": str(delivery.event_id),
                    "subscriberId": str(delivery.subscriber_id),
                    "error": result.error,
                },
            )
            return True
        await claim.retry_later(delivery, result, self.backoff(failures))
        return False
