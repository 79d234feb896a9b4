"""The refund state machine: pending, processing, then completed or failed, for good."""

from __future__ import annotations

import pytest

from tt_ledger import (
    REFUND_STATE_MACHINE,
    REFUND_TRANSITIONS,
    InvalidTransitionError,
    RefundEvent,
    RefundStatus,
    refund_states,
)

S = RefundStatus
E = RefundEvent

EXPECTED_ROWS = {
    ("pending", "processing", "refund.processing"),
    ("pending", "completed", "refund.succeeded"),
    ("processing", "completed", "refund.succeeded"),
    ("pending", "failed", "refund.failed"),
    ("processing", "failed", "refund.failed"),
}


def test_the_transitions_are_exactly_the_hand_written_table() -> None:
    rows = {
        (source.value, target.value, event.value) for source, target, event in REFUND_TRANSITIONS
    }
    assert rows == EXPECTED_ROWS
    assert REFUND_STATE_MACHINE.transitions == REFUND_TRANSITIONS


def test_the_statuses_are_the_specs_payment_refunds_statuses() -> None:
    assert [status.value for status in S] == ["pending", "processing", "completed", "failed"]


@pytest.mark.parametrize(("source", "target", "event"), sorted(REFUND_TRANSITIONS, key=str))
def test_every_listed_transition_moves_to_its_target(
    source: RefundStatus, target: RefundStatus, event: RefundEvent
) -> None:
    assert refund_states.transition(source, event) is target
    assert refund_states.classify(source, event) == "apply"


def test_completed_and_failed_are_terminal() -> None:
    assert {status for status in S if refund_states.is_terminal(status)} == {
        S.COMPLETED,
        S.FAILED,
    }


@pytest.mark.parametrize("status", [S.COMPLETED, S.FAILED])
@pytest.mark.parametrize("event", list(E))
def test_no_event_moves_a_finished_refund(status: RefundStatus, event: RefundEvent) -> None:
    with pytest.raises(InvalidTransitionError) as raised:
        refund_states.transition(status, event)
    assert raised.value.machine == "refund"
    assert raised.value.from_state == status.value


@pytest.mark.parametrize(
    ("status", "event", "expected"),
    [
        (S.COMPLETED, E.SUCCEEDED, "duplicate"),
        (S.FAILED, E.FAILED, "duplicate"),
        (S.PROCESSING, E.PROCESSING, "duplicate"),
        (S.COMPLETED, E.PROCESSING, "duplicate"),  # late processing after success
        (S.FAILED, E.SUCCEEDED, "invalid"),
        (S.COMPLETED, E.FAILED, "invalid"),
        (S.PENDING, E.SUCCEEDED, "apply"),
    ],
)
def test_classify_tells_repeats_and_late_events_from_contradictions(
    status: RefundStatus, event: RefundEvent, expected: str
) -> None:
    assert refund_states.classify(status, event) == expected
