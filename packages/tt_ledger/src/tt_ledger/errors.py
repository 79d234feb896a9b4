"""The errors tt_ledger raises on purpose, each carrying the code the API reports.

A ``LedgerError`` that is not one of the subclasses below is a broken invariant in the
caller's code (a posting in the wrong currency, an account of another tenant), not a
problem with a request: the API answers it as an internal error.
"""

from __future__ import annotations

from tt_money.errors import ConflictError, InvalidInputError, TicketTokenError

__all__ = [
    "DailyPayoutLimitError",
    "InsufficientFundsError",
    "InvalidTransitionError",
    "LedgerError",
    "PayoutBelowMinimumError",
    "RefundExceedsCaptureError",
    "UnbalancedEntryError",
]


class LedgerError(TicketTokenError):
    """A journal entry, posting or account that would break the ledger's invariants."""

    default_code = "LEDGER_ERROR"


class UnbalancedEntryError(LedgerError):
    """An entry whose postings do not sum to zero in every currency."""

    default_code = "UNBALANCED_ENTRY"


class InvalidTransitionError(LedgerError, ConflictError):
    """A status change the state machine does not allow.

    Also a ``ConflictError``: the request clashes with the current state of the payment or
    refund. ``from_state``, ``to_state`` and ``event`` are the machine's string values.
    """

    default_code = "INVALID_STATE_TRANSITION"

    def __init__(self, *, machine: str, from_state: str, to_state: str, event: str) -> None:
        super().__init__(
            f"{machine} cannot move from {from_state!r} to {to_state!r} on event {event!r}"
        )
        self.machine = machine
        self.from_state = from_state
        self.to_state = to_state
        self.event = event


class RefundExceedsCaptureError(LedgerError, InvalidInputError):
    """A refund larger than what is left of the captured amount.

    Also an ``InvalidInputError``: the requested amount is the caller's to fix. The API
    answers its code, ``REFUND_EXCEEDS_ORIGINAL``, with 400.
    """

    default_code = "REFUND_EXCEEDS_ORIGINAL"


class InsufficientFundsError(LedgerError, InvalidInputError):
    """A payout larger than the venue's payable balance.

    An ``InvalidInputError`` like ``RefundExceedsCaptureError``: the amount is the caller's
    to fix. The spec answers ``INSUFFICIENT_FUNDS`` with 400.
    """

    default_code = "INSUFFICIENT_FUNDS"


class PayoutBelowMinimumError(LedgerError, InvalidInputError):
    """A payout smaller than the minimum payout ($100 by default)."""

    default_code = "PAYOUT_BELOW_MINIMUM"


class DailyPayoutLimitError(LedgerError, ConflictError):
    """A payout that would take the venue's payouts today (in flight included) past the
    daily limit. A ``ConflictError``: the amount is fine on its own and clashes with the
    payouts already made today."""

    default_code = "DAILY_PAYOUT_LIMIT"
