"""A venue payout's status and the moves between them.

A payout is pending when recorded (its ``payout.requested`` entry already took the money
from available), in transit once the payout provider accepted it, and ends paid, failed
or canceled; an instant payout is paid in the provider's first answer (pending -> paid).
Failed and canceled return the money to available (``payout_returned_entry``).
A provider may refuse at once (pending -> failed), and a bank may return a payout the
provider had reported paid (paid -> failed, as Stripe documents), so only failed and
canceled are terminal. A late ``payout.paid`` after ``payout.failed`` classifies as a
duplicate and changes nothing.
"""

from __future__ import annotations

import enum

from tt_ledger.state_machine import StateMachine

__all__ = [
    "COUNTED_STATUSES",
    "OPEN_STATUSES",
    "PAYOUT_STATE_MACHINE",
    "PAYOUT_TRANSITIONS",
    "RETURNED_STATUSES",
    "PayoutEvent",
    "PayoutStatus",
    "classify",
    "event_reaching",
    "is_terminal",
    "transition",
]


class PayoutStatus(enum.Enum):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"


class PayoutEvent(enum.Enum):
    """What happened to a payout; ``payout.paid``, ``payout.failed`` and
    ``payout.canceled`` are also Stripe's webhook event names."""

    SUBMITTED = "payout.submitted"
    PAID = "payout.paid"
    FAILED = "payout.failed"
    CANCELED = "payout.canceled"


_S = PayoutStatus
_E = PayoutEvent

PAYOUT_TRANSITIONS: frozenset[tuple[PayoutStatus, PayoutStatus, PayoutEvent]] = frozenset(
    {
        (_S.PENDING, _S.IN_TRANSIT, _E.SUBMITTED),
        (_S.PENDING, _S.PAID, _E.PAID),
        (_S.IN_TRANSIT, _S.PAID, _E.PAID),
        (_S.PENDING, _S.FAILED, _E.FAILED),
        (_S.IN_TRANSIT, _S.FAILED, _E.FAILED),
        (_S.PAID, _S.FAILED, _E.FAILED),
        (_S.PENDING, _S.CANCELED, _E.CANCELED),
        (_S.IN_TRANSIT, _S.CANCELED, _E.CANCELED),
    }
)
"""``(from, to, event)`` rows; failed and canceled are terminal."""

PAYOUT_STATE_MACHINE: StateMachine[PayoutStatus, PayoutEvent] = StateMachine(
    "payout", PAYOUT_TRANSITIONS
)

transition = PAYOUT_STATE_MACHINE.transition
classify = PAYOUT_STATE_MACHINE.classify
is_terminal = PAYOUT_STATE_MACHINE.is_terminal

OPEN_STATUSES: frozenset[PayoutStatus] = frozenset({_S.PENDING, _S.IN_TRANSIT})
"""Not settled yet: the payout sync sends pending ones again and polls those in transit."""
RETURNED_STATUSES: frozenset[PayoutStatus] = frozenset({_S.FAILED, _S.CANCELED})
"""The money came back to the venue's available balance."""
COUNTED_STATUSES: frozenset[PayoutStatus] = frozenset(set(_S) - RETURNED_STATUSES)
"""Count against the day's payout limit: every payout not given back."""

_EVENT_REACHING: dict[PayoutStatus, PayoutEvent] = {
    target: event for _, target, event in PAYOUT_TRANSITIONS
}


def event_reaching(status: PayoutStatus) -> PayoutEvent:
    """The event whose outcome is ``status`` (a provider reports statuses, not events)."""
    try:
        return _EVENT_REACHING[status]
    except KeyError:
        raise ValueError(f"no payout event leads to {status.value!r}") from None
