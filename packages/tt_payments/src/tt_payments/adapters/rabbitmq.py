"""Events to RabbitMQ with aio-pika: a durable topic exchange and publisher confirms.

Why aio-pika rather than pika: the relay runs on the service's event loop next to the
async SQLAlchemy engine, and aio-pika awaits each publisher confirm there without a
thread of its own; it is typed, and its robust connection reconnects in the
background. (Dramatiq's own RabbitMQ broker in ``apps/workers`` uses pika; that is a
separate connection with a separate job.)

Every message: exchange ``tickettoken.events`` (topic, durable), routing key = event
type, persistent, ``message_id`` = the event id (consumers deduplicate on it),
``content_type`` application/json, body = the versioned envelope. ``publish`` returns
only after the broker's ``Basic.Ack``. Messages are not ``mandatory``: an event type no
queue is bound to is confirmed and dropped, as a topic with no subscribers should be.
"""

from __future__ import annotations

import asyncio
import time

import aio_pika
import aiormq
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from tt_payments.outbox import OutboxEvent, PublisherUnavailableError

DEFAULT_EXCHANGE = "tickettoken.events"
_APP_ID = "payment-service"
# After a failed connect, publishes fail fast this long instead of each trying (and, with
# a black-holed broker, each waiting out the timeout while the relay holds its rows).
_RECONNECT_PAUSE_SECONDS = 1.0

# Lost connections, closed channels, timeouts: the broker's state, not the event's.
_UNAVAILABLE = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.AMQPChannelError,
    aiormq.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    TimeoutError,
)


class RabbitMqPublisher:
    """An ``EventPublisher``; connects on first use, on the loop it is used from."""

    def __init__(
        self, url: str, *, exchange: str = DEFAULT_EXCHANGE, timeout: float = 10.0
    ) -> None:
        self._url = url
        self._exchange_name = exchange
        self._timeout = timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._connecting = asyncio.Lock()
        self._failed_at: float | None = None

    async def publish(self, event: OutboxEvent) -> None:
        exchange = await self._connected()
        message = aio_pika.Message(
            event.body(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event.event_id),
            type=event.event_type,
            timestamp=event.occurred_at,
            app_id=_APP_ID,
        )
        try:
            await exchange.publish(
                message, routing_key=event.event_type, mandatory=False, timeout=self._timeout
            )
        except aiormq.exceptions.DeliveryError:
            raise  # the broker refused this message (nack): the relay counts a failure
        except _UNAVAILABLE as error:
            raise PublisherUnavailableError(f"RabbitMQ did not confirm: {error!r}") from error

    async def aclose(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            await connection.close()

    async def _connected(self) -> AbstractExchange:
        if self._exchange is not None:
            return self._exchange
        async with self._connecting:
            if self._exchange is None:
                failed_at = self._failed_at
                if (
                    failed_at is not None
                    and time.monotonic() - failed_at < _RECONNECT_PAUSE_SECONDS
                ):
                    raise PublisherUnavailableError("RabbitMQ was unreachable a moment ago")
                try:
                    connection = await aio_pika.connect_robust(
                        self._url, timeout=self._timeout, client_properties={"app_id": _APP_ID}
                    )
                except _UNAVAILABLE as error:
                    self._failed_at = time.monotonic()
                    raise PublisherUnavailableError(
                        f"cannot connect to RabbitMQ: {error!r}"
                    ) from error
                try:
                    channel = await connection.channel(publisher_confirms=True)
                    self._exchange = await channel.declare_exchange(
                        self._exchange_name,
                        aio_pika.ExchangeType.TOPIC,
                        durable=True,
                        timeout=self._timeout,
                    )
                except BaseException as error:
                    await connection.close()
                    if isinstance(error, _UNAVAILABLE):
                        self._failed_at = time.monotonic()
                        raise PublisherUnavailableError(
                            f"cannot declare the exchange: {error!r}"
                        ) from error
                    raise
                self._connection, self._failed_at = connection, None
            return self._exchange
