"""Dramatiq workers of TicketToken Payments: ``tt worker`` runs them with the outbox relay.

``run_worker(container, until=...)`` builds the broker (RabbitMQ when ``TT_BROKER_URL``
is set, else Redis), declares the actors, and runs the worker threads and the relay loop
on one event loop until ``until`` is set. Nothing is built at import time.
"""

from tt_workers.runner import run_worker

__all__ = ["run_worker"]
