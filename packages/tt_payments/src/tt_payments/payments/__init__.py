"""The payments context: charging a buyer once (``service``), refunds (``refunds``),
disputes (``disputes``) and the processor's events (``provider_events``); what it stores
(``records``), the storage it needs (``ports``) and that storage in PostgreSQL (``sql``,
wired in by ``tt_payments.wiring`` only).

This package exports the records only: importing it costs a command nothing more.
"""

from tt_payments.catalog.records import EventNotFoundError
from tt_payments.payments.records import (
    MAX_LINES,
    MAX_QUANTITY_PER_LINE,
    PaymentFailedError,
    PaymentNotRefundableError,
    PaymentRecord,
    PaymentRequest,
    RefundRecord,
    TicketLine,
    TransactionNotFoundError,
    address_fingerprint,
)

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY_PER_LINE",
    "EventNotFoundError",
    "PaymentFailedError",
    "PaymentNotRefundableError",
    "PaymentRecord",
    "PaymentRequest",
    "RefundRecord",
    "TicketLine",
    "TransactionNotFoundError",
    "address_fingerprint",
]
