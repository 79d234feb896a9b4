"""The payment state machine: one vocabulary, the rows the database is seeded with, and
what a repeated, late or contradictory event does."""

from __future__ import annotations

import pytest

from tt_ledger import (
    PAYMENT_STATE_MACHINE,
    PAYMENT_TRANSITIONS,
    SPEC_STATE_MACHINE_STATES,
    SPEC_TRANSACTION_STATUSES,
    InvalidTransitionError,
    PaymentEvent,
    PaymentStatus,
    payment_states,
)

S = PaymentStatus
E = PaymentEvent

# Written out by hand from the issue, in the strings the payment_state_machine table holds.
EXPECTED_ROWS = {
    ("pending", "processing", "payment.processing"),
    ("requires_action", "processing", "payment.processing"),
    ("pending", "requires_action", "payment.requires_action"),
    ("processing", "requires_action", "payment.requires_action"),
    ("pending", "completed", "payment.succeeded"),
    ("processing", "completed", "payment.succeeded"),
    ("requires_action", "completed", "payment.succeeded"),
    ("pending", "failed", "payment.failed"),
    ("processing", "failed", "payment.failed"),
    ("requires_action", "failed", "payment.failed"),
    ("pending", "cancelled", "payment.canceled"),
    ("processing", "cancelled", "payment.canceled"),
    ("requires_action", "cancelled", "payment.canceled"),
    ("completed", "partially_refunded", "refund.partial"),
    ("partially_refunded", "partially_refunded", "refund.partial"),
    ("completed", "refunded", "refund.completed"),
    ("partially_refunded", "refunded", "refund.completed"),
}
EVERY_MOVE = [(status, event) for status in S for event in E]


def test_the_transitions_are_exactly_the_hand_written_table() -> None:
    rows = {
        (source.value, target.value, event.value) for source, target, event in PAYMENT_TRANSITIONS
    }
    assert rows == EXPECTED_ROWS
    assert PAYMENT_STATE_MACHINE.transitions == PAYMENT_TRANSITIONS


def test_the_status_vocabulary_is_the_apis() -> None:
    assert [status.value for status in S] == [
        "pending",
        "processing",
        "requires_action",
        "completed",
        "failed",
        "cancelled",
        "partially_refunded",
        "refunded",
    ]


@pytest.mark.parametrize(("source", "target", "event"), sorted(PAYMENT_TRANSITIONS, key=str))
def test_every_listed_transition_moves_to_its_target(
    source: PaymentStatus, target: PaymentStatus, event: PaymentEvent
) -> None:
    assert payment_states.transition(source, event) is target
    assert payment_states.classify(source, event) == "apply"


def test_failed_cancelled_and_refunded_are_the_only_terminal_statuses() -> None:
    assert {status for status in S if payment_states.is_terminal(status)} == {
        S.FAILED,
        S.CANCELLED,
        S.REFUNDED,
    }


@pytest.mark.parametrize("status", [S.FAILED, S.CANCELLED, S.REFUNDED])
@pytest.mark.parametrize("event", list(E))
def test_no_event_moves_a_terminal_payment(status: PaymentStatus, event: PaymentEvent) -> None:
    with pytest.raises(InvalidTransitionError):
        payment_states.transition(status, event)
    assert payment_states.classify(status, event) != "apply"


@pytest.mark.parametrize(("status", "event"), EVERY_MOVE)
def test_classify_says_apply_exactly_when_transition_allows_the_move(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    allowed = any(row[0] is status and row[2] is event for row in PAYMENT_TRANSITIONS)
    assert (payment_states.classify(status, event) == "apply") is allowed
    if not allowed:
        with pytest.raises(InvalidTransitionError):
            payment_states.transition(status, event)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.COMPLETED, E.SUCCEEDED),  # the same webhook twice
        (S.PROCESSING, E.PROCESSING),
        (S.REQUIRES_ACTION, E.REQUIRES_ACTION),
        (S.FAILED, E.FAILED),
        (S.CANCELLED, E.CANCELED),
        (S.REFUNDED, E.REFUNDED_FULLY),
        (S.COMPLETED, E.PROCESSING),  # late: processing delivered after succeeded
        (S.COMPLETED, E.REQUIRES_ACTION),
        (S.REFUNDED, E.SUCCEEDED),  # late: succeeded delivered after the refund
        (S.PARTIALLY_REFUNDED, E.SUCCEEDED),
        (S.FAILED, E.PROCESSING),
        (S.CANCELLED, E.REQUIRES_ACTION),
    ],
)
def test_an_event_the_status_already_reflects_is_a_duplicate_and_transition_refuses_it(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    assert payment_states.classify(status, event) == "duplicate"
    with pytest.raises(InvalidTransitionError):
        payment_states.transition(status, event)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.FAILED, E.SUCCEEDED),  # money taken on a payment we called failed
        (S.CANCELLED, E.SUCCEEDED),
        (S.COMPLETED, E.FAILED),
        (S.COMPLETED, E.CANCELED),
        (S.FAILED, E.REFUNDED_FULLY),  # never captured, never will be
        (S.CANCELLED, E.REFUNDED_PARTIALLY),
        (S.REFUNDED, E.FAILED),
    ],
)
def test_an_event_that_contradicts_the_status_is_invalid(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    assert payment_states.classify(status, event) == "invalid"


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.PENDING, E.REFUNDED_PARTIALLY),  # a refund delivered before the success
        (S.PROCESSING, E.REFUNDED_FULLY),
        (S.REQUIRES_ACTION, E.REFUNDED_FULLY),
    ],
)
def test_an_event_that_can_apply_once_an_earlier_one_lands_is_early(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    assert payment_states.classify(status, event) == "early"
    with pytest.raises(InvalidTransitionError):
        payment_states.transition(status, event)


def test_an_invalid_move_raises_naming_from_to_and_event() -> None:
    with pytest.raises(InvalidTransitionError) as raised:
        PAYMENT_STATE_MACHINE.transition(S.FAILED, E.SUCCEEDED)
    error = raised.value
    assert error.code == "INVALID_STATE_TRANSITION"
    assert (error.from_state, error.to_state, error.event) == (
        "failed",
        "completed",
        "payment.succeeded",
    )
    assert "'failed'" in error.message
    assert "'completed'" in error.message
    assert "'payment.succeeded'" in error.message


def test_a_second_partial_refund_keeps_the_payment_partially_refunded() -> None:
    status = payment_states.transition(S.COMPLETED, E.REFUNDED_PARTIALLY)
    status = payment_states.transition(status, E.REFUNDED_PARTIALLY)
    assert status is S.PARTIALLY_REFUNDED
    assert payment_states.transition(status, E.REFUNDED_FULLY) is S.REFUNDED


def test_a_3ds_challenge_goes_back_to_processing_then_completes() -> None:
    status = S.PENDING
    for event in (E.PROCESSING, E.REQUIRES_ACTION, E.PROCESSING, E.SUCCEEDED):
        status = payment_states.transition(status, event)
    assert status is S.COMPLETED


def test_the_specs_transaction_statuses_map_onto_ours() -> None:
    assert dict(SPEC_TRANSACTION_STATUSES) == {
        "pending": S.PENDING,
        "processing": S.PROCESSING,
        "completed": S.COMPLETED,
        "failed": S.FAILED,
        "refunded": S.REFUNDED,
    }


def test_the_specs_state_machine_names_map_onto_ours() -> None:
    assert SPEC_STATE_MACHINE_STATES["PAID"] == {S.COMPLETED}
    assert SPEC_STATE_MACHINE_STATES["PAYMENT_FAILED"] == {S.FAILED}
    # a refund in flight is the refund's status; the payment keeps its own
    assert SPEC_STATE_MACHINE_STATES["REFUNDING"] == {S.COMPLETED, S.PARTIALLY_REFUNDED}
    assert set(SPEC_STATE_MACHINE_STATES) == {
        "PENDING",
        "PROCESSING",
        "PAID",
        "REFUNDING",
        "REFUNDED",
        "PAYMENT_FAILED",
        "CANCELLED",
    }
