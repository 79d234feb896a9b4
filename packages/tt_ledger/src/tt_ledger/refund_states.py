"""A refund's status (the spec's ``payment_refunds.status``) and the moves between them.

A refund is pending when recorded, processing while the processor works on it, and ends
completed or failed; a processor that answers at once takes it straight from pending to
its end. Only a completed refund posts a journal entry and moves the payment's status.
"""

from __future__ import annotations

import enum

from tt_ledger.state_machine import StateMachine

__all__ = [
    "REFUND_STATE_MACHINE",
    "REFUND_TRANSITIONS",
    "RefundEvent",
    "RefundStatus",
    "classify",
    "is_terminal",
    "transition",
]


class RefundStatus(enum.Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class RefundEvent(enum.Enum):
    PROCESSING = "refund.processing"
    SUCCEEDED = "refund.succeeded"
    FAILED = "refund.failed"


_S = RefundStatus
_E = RefundEvent

REFUND_TRANSITIONS: frozenset[tuple[RefundStatus, RefundStatus, RefundEvent]] = frozenset(
    {
        (_S.PENDING, _S.PROCESSING, _E.PROCESSING),
        (_S.PENDING, _S.COMPLETED, _E.SUCCEEDED),
        (_S.PROCESSING, _S.COMPLETED, _E.SUCCEEDED),
        (_S.PENDING, _S.FAILED, _E.FAILED),
        (_S.PROCESSING, _S.FAILED, _E.FAILED),
    }
)
"""``(from, to, event)`` rows; completed and failed are terminal."""

REFUND_STATE_MACHINE: StateMachine[RefundStatus, RefundEvent] = StateMachine(
    "refund", REFUND_TRANSITIONS
)

transition = REFUND_STATE_MACHINE.transition
classify = REFUND_STATE_MACHINE.classify
is_terminal = REFUND_STATE_MACHINE.is_terminal
