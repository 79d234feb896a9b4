"""The ledger's errors: each carries the spec's code and sits where the API maps it."""

from __future__ import annotations

import pytest

from tt_ledger import (
    InvalidTransitionError,
    LedgerError,
    RefundExceedsCaptureError,
    UnbalancedEntryError,
)
from tt_money.errors import ConflictError, InvalidInputError, TicketTokenError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (LedgerError("broken"), "LEDGER_ERROR"),
        (UnbalancedEntryError("off by one"), "UNBALANCED_ENTRY"),
        (RefundExceedsCaptureError("too much"), "REFUND_EXCEEDS_ORIGINAL"),
        (
            InvalidTransitionError(machine="payment", from_state="a", to_state="b", event="e"),
            "INVALID_STATE_TRANSITION",
        ),
    ],
)
def test_every_ledger_error_carries_its_code_and_is_a_ledger_error(
    error: LedgerError, code: str
) -> None:
    assert error.code == code
    assert isinstance(error, LedgerError)
    assert isinstance(error, TicketTokenError)


def test_a_refund_exceeding_the_capture_is_the_callers_input_to_fix() -> None:
    assert isinstance(RefundExceedsCaptureError("too much"), InvalidInputError)


def test_an_invalid_transition_is_a_conflict_with_the_current_state() -> None:
    assert isinstance(
        InvalidTransitionError(machine="payment", from_state="a", to_state="b", event="e"),
        ConflictError,
    )


def test_an_unbalanced_entry_is_neither_input_nor_conflict_but_a_broken_invariant() -> None:
    error = UnbalancedEntryError("off by one")
    assert not isinstance(error, InvalidInputError | ConflictError)


def test_an_invalid_transition_names_the_machine_states_and_event() -> None:
    error = InvalidTransitionError(
        machine="payment", from_state="completed", to_state="processing", event="payment.processing"
    )
    assert (error.machine, error.from_state, error.to_state, error.event) == (
        "payment",
        "completed",
        "processing",
        "payment.processing",
    )
    assert str(error) == (
        "payment cannot move from 'completed' to 'processing' on event 'payment.processing'"
    )
