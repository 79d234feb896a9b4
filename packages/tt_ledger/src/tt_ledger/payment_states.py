"""The payment's status: one vocabulary for the API, the database and the state machine.

The spec has two (spec/NOTES.md item 4): ``payment_transactions.status`` and the state
machine's upper-case names. ``PaymentStatus`` replaces both and adds
``partially_refunded``; ``SPEC_TRANSACTION_STATUSES`` and ``SPEC_STATE_MACHINE_STATES``
say what each old name means in it. A refund in flight is the refund's status
(``refund_states``), not the payment's: the payment stays completed or partially
refunded until the refund completes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from tt_ledger.state_machine import StateMachine

__all__ = [
    "PAID_STATUSES",
    "PAYMENT_STATE_MACHINE",
    "PAYMENT_TRANSITIONS",
    "REFUNDABLE_STATUSES",
    "SPEC_STATE_MACHINE_STATES",
    "SPEC_TRANSACTION_STATUSES",
    "PaymentEvent",
    "PaymentStatus",
    "classify",
    "is_terminal",
    "transition",
]


class PaymentStatus(enum.Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    """The buyer must authenticate (3-D Secure) before the charge can complete."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class PaymentEvent(enum.Enum):
    """What happened to a payment; the values are the ``event_type`` column's."""

    PROCESSING = "payment.processing"
    REQUIRES_ACTION = "payment.requires_action"
    SUCCEEDED = "payment.succeeded"
    FAILED = "payment.failed"
    CANCELED = "payment.canceled"
    REFUNDED_PARTIALLY = "refund.partial"
    REFUNDED_FULLY = "refund.completed"


_S = PaymentStatus
_E = PaymentEvent
_UNSETTLED = (_S.PENDING, _S.PROCESSING, _S.REQUIRES_ACTION)
_REFUNDABLE = (_S.COMPLETED, _S.PARTIALLY_REFUNDED)

REFUNDABLE_STATUSES: frozenset[PaymentStatus] = frozenset(_REFUNDABLE)
"""Captured and not wholly refunded: a refund may still take from it, and its sale counts
in the venue's volume."""
PAID_STATUSES: frozenset[PaymentStatus] = frozenset({*_REFUNDABLE, _S.REFUNDED})
"""The buyer was charged (whatever was refunded since): a paid sale settles, reconciles
against a captured charge, and was counted when it was paid."""

PAYMENT_TRANSITIONS: frozenset[tuple[PaymentStatus, PaymentStatus, PaymentEvent]] = frozenset(
    {
        (_S.PENDING, _S.PROCESSING, _E.PROCESSING),
        (_S.REQUIRES_ACTION, _S.PROCESSING, _E.PROCESSING),
        (_S.PENDING, _S.REQUIRES_ACTION, _E.REQUIRES_ACTION),
        (_S.PROCESSING, _S.REQUIRES_ACTION, _E.REQUIRES_ACTION),
        *((source, _S.COMPLETED, _E.SUCCEEDED) for source in _UNSETTLED),
        *((source, _S.FAILED, _E.FAILED) for source in _UNSETTLED),
        *((source, _S.CANCELLED, _E.CANCELED) for source in _UNSETTLED),
        *((source, _S.PARTIALLY_REFUNDED, _E.REFUNDED_PARTIALLY) for source in _REFUNDABLE),
        *((source, _S.REFUNDED, _E.REFUNDED_FULLY) for source in _REFUNDABLE),
    }
)
"""``(from, to, event)`` rows, as seeded into ``payment_state_machine`` (all ``is_valid``).

Failed, cancelled and refunded are terminal. A further partial refund keeps a partially
refunded payment where it is, so that row starts and ends in the same status.
"""

PAYMENT_STATE_MACHINE: StateMachine[PaymentStatus, PaymentEvent] = StateMachine(
    "payment", PAYMENT_TRANSITIONS
)

transition = PAYMENT_STATE_MACHINE.transition
classify = PAYMENT_STATE_MACHINE.classify
is_terminal = PAYMENT_STATE_MACHINE.is_terminal

SPEC_TRANSACTION_STATUSES: Mapping[str, PaymentStatus] = MappingProxyType(
    {
        "pending": _S.PENDING,
        "processing": _S.PROCESSING,
        "completed": _S.COMPLETED,
        "failed": _S.FAILED,
        "refunded": _S.REFUNDED,
    }
)
"""The spec's ``payment_transactions.status`` values, each as ours."""

SPEC_STATE_MACHINE_STATES: Mapping[str, frozenset[PaymentStatus]] = MappingProxyType(
    {
        "PENDING": frozenset({_S.PENDING}),
        "PROCESSING": frozenset({_S.PROCESSING}),
        "PAID": frozenset({_S.COMPLETED}),
        # Not a payment status here: a refund record is pending or processing, and the
        # payment stays completed or partially refunded until it completes.
        "REFUNDING": frozenset(_REFUNDABLE),
        "REFUNDED": frozenset({_S.REFUNDED}),
        "PAYMENT_FAILED": frozenset({_S.FAILED}),
        "CANCELLED": frozenset({_S.CANCELLED}),
    }
)
"""The spec's state-machine names, each as the statuses of ours it can be."""
