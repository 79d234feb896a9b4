"""What the payment core reports to monitoring (the spec's Prometheus metric names)."""

from __future__ import annotations

from typing import Protocol

from tt_money import Money


class PaymentMetrics(Protocol):
    def payment_finished(self, *, status: str, method: str, amount: Money | None) -> None:
        """A payment reached ``status``; ``amount`` is what was charged when it completed."""
        ...

    def refund_finished(self, *, status: str) -> None: ...

    def processing_seconds(self, *, method: str, seconds: float) -> None: ...

    def in_flight(self, delta: int) -> None:
        """Payments between "recorded processing" and their outcome in this process."""
        ...

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, and its content type."""
        ...


class WebhookMetrics(Protocol):
    def webhook_received(self, *, provider: str, outcome: str) -> None:
        """A delivery was handled: applied, held, duplicate, ignored, failed, ..."""
        ...

    def event_held_too_long(self) -> None:
        """A payment event was held past its limit; the payment was fetched (alert)."""
        ...


class ServiceMetrics(PaymentMetrics, WebhookMetrics, Protocol):
    """Everything the payment service reports."""
