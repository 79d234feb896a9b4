"""What the subscribers context needs: where subscribers and deliveries are kept, and
something that POSTs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from tt_payments.subscribers.records import (
    Delivery,
    DeliveryStatus,
    DeliveryView,
    SendResult,
    Subscriber,
)


class DeliveryClaim(Protocol):
    """Due deliveries locked by one open transaction; what is recorded commits with it."""

    @property
    def deliveries(self) -> Sequence[Delivery]: ...

    async def delivered(self, delivery: Delivery, result: SendResult) -> None: ...

    async def retry_later(
        self, delivery: Delivery, result: SendResult, delay: dt.timedelta
    ) -> None: ...

    async def dead(self, delivery: Delivery, result: SendResult) -> None: ...


class SubscriberStore(Protocol):
    async def add(self, subscriber: Subscriber) -> None: ...

    async def of_tenant(self, tenant_id: uuid.UUID) -> list[Subscriber]: ...

    async def remove(self, tenant_id: uuid.UUID, subscriber_id: uuid.UUID) -> bool:
        """Remove it and its deliveries; False when there was none."""
        ...

    async def deliveries(
        self,
        tenant_id: uuid.UUID,
        *,
        status: DeliveryStatus | None = None,
        subscriber_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[DeliveryView]:
        """The newest first."""
        ...

    async def redrive(
        self,
        tenant_id: uuid.UUID,
        *,
        ids: Sequence[int] | None = None,
        subscriber_id: uuid.UUID | None = None,
    ) -> int:
        """Dead deliveries (``ids``, or all of the subscriber's or tenant's) -> pending,
        due now, attempts reset. How many moved."""
        ...

    def claim(self, limit: int) -> AbstractAsyncContextManager[DeliveryClaim]:
        """Lock up to ``limit`` due deliveries no one else holds, each the oldest not yet
        delivered of its ordering key for its subscriber. Commits what was recorded when the
        block ends normally, rolls back otherwise."""
        ...


class EventSender(Protocol):
    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        """POST ``body``; never raises for what the subscriber or the network did."""
        ...

    async def aclose(self) -> None: ...
