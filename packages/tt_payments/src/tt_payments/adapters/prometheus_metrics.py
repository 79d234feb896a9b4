"""Prometheus metrics, in a registry of their own (one per container, so tests never clash).

With several server processes (``tt serve --workers N``) the parent sets
``PROMETHEUS_MULTIPROC_DIR`` before it starts them: prometheus-client's multiprocess mode
keeps each process's samples in files there, and ``exposition`` sums every process's, so
/metrics answers the same totals whichever process serves it. The in-flight gauge counts
live processes only (``livesum``); a process that exits takes its share with it.

``payment_amount_dollars`` is the spec's name. Prometheus samples are floats, so the
amount is turned into dollars here, for telemetry only; no money is ever computed from it.
"""

from __future__ import annotations

import atexit
import os
from decimal import Decimal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from tt_money import Money

_DOLLAR_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


_MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class PrometheusPaymentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._shared_dir = os.environ.get(_MULTIPROCESS_DIR)
        if self._shared_dir:
            # This process's live gauges leave the sums when it exits.
            atexit.register(multiprocess.mark_process_dead, os.getpid(), self._shared_dir)
        self._payments = Counter(
            "payment_transactions_total",
            "Total number of payment transactions",
            ["status", "method"],
            registry=self.registry,
        )
        self._amounts = Histogram(
            "payment_amount_dollars",
            "Payment amounts in dollars",
            buckets=_DOLLAR_BUCKETS,
            registry=self.registry,
        )
        self._refunds = Counter(
            "payment_refunds_total", "Total number of refunds", ["status"], registry=self.registry
        )
        self._duration = Histogram(
            "payment_processing_duration_seconds",
            "Time to process a payment, processor call included",
            ["method"],
            registry=self.registry,
        )
        self._active = Gauge(
            "payment_active_transactions",
            "Payments being processed now, by every server process",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

        self._webhooks = Counter(
            "payment_webhooks_total",
            "Provider webhook deliveries by outcome",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self._held_too_long = Counter(
            "payment_events_held_too_long_total",
            "Payment events held more than 10 minutes (the payment was fetched instead)",
            registry=self.registry,
        )

    def webhook_received(self, *, provider: str, outcome: str) -> None:
        self._webhooks.labels(provider=provider, outcome=outcome).inc()

    def event_held_too_long(self) -> None:
        self._held_too_long.inc()

    def payment_finished(self, *, status: str, method: str, amount: Money | None) -> None:
        self._payments.labels(status=status, method=method).inc()
        if amount is not None:
            dollars = Decimal(amount.minor).scaleb(-amount.currency.exponent)
            self._amounts.observe(float(dollars))

    def refund_finished(self, *, status: str) -> None:
        self._refunds.labels(status=status).inc()

    def processing_seconds(self, *, method: str, seconds: float) -> None:
        self._duration.labels(method=method).observe(seconds)

    def in_flight(self, delta: int) -> None:
        self._active.inc(delta)

    def exposition(self) -> tuple[bytes, str]:
        if not self._shared_dir:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        every_process = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_process, path=self._shared_dir)  # type: ignore[no-untyped-call]
        return generate_latest(every_process), CONTENT_TYPE_LATEST
