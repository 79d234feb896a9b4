"""The Dramatiq broker: RabbitMQ when one is configured, else the service's Redis."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO

from tt_payments import Settings


def build_broker(settings: Settings, redis_url: str) -> dramatiq.Broker:
    """``TT_BROKER_URL`` (RabbitMQ, enqueues confirmed) or ``redis_url`` (the configured
    or embedded Redis); with the AsyncIO middleware, since our actors are coroutines."""
    broker: dramatiq.Broker
    if settings.broker_url is not None:
        broker = RabbitmqBroker(url=settings.broker_url, confirm_delivery=True)
    else:
        broker = RedisBroker(url=redis_url, namespace="tickettoken")
    broker.add_middleware(AsyncIO())
    return broker
