"""The payout state machine: pending, in transit, then paid, failed or canceled."""

from __future__ import annotations

import pytest

from tt_ledger import (
    PAYOUT_STATE_MACHINE,
    PAYOUT_TRANSITIONS,
    InvalidTransitionError,
    PayoutEvent,
    PayoutStatus,
    payout_states,
)

S = PayoutStatus
E = PayoutEvent

EXPECTED_ROWS = {
    ("pending", "in_transit", "payout.submitted"),
    ("pending", "paid", "payout.paid"),  # an instant payout, paid in the first answer
    ("in_transit", "paid", "payout.paid"),
    ("pending", "failed", "payout.failed"),
    ("in_transit", "failed", "payout.failed"),
    ("paid", "failed", "payout.failed"),
    ("pending", "canceled", "payout.canceled"),
    ("in_transit", "canceled", "payout.canceled"),
}


def test_the_transitions_are_exactly_the_hand_written_table() -> None:
    rows = {
        (source.value, target.value, event.value) for source, target, event in PAYOUT_TRANSITIONS
    }
    assert rows == EXPECTED_ROWS
    assert PAYOUT_STATE_MACHINE.transitions == PAYOUT_TRANSITIONS


def test_the_statuses_are_the_issues_five() -> None:
    assert [status.value for status in S] == [
        "pending",
        "in_transit",
        "paid",
        "failed",
        "canceled",
    ]


@pytest.mark.parametrize(("source", "target", "event"), sorted(PAYOUT_TRANSITIONS, key=str))
def test_every_listed_transition_moves_to_its_target(
    source: PayoutStatus, target: PayoutStatus, event: PayoutEvent
) -> None:
    assert payout_states.transition(source, event) is target
    assert payout_states.classify(source, event) == "apply"


def test_failed_and_canceled_are_terminal_and_paid_can_still_fail() -> None:
    assert {status for status in S if payout_states.is_terminal(status)} == {
        S.FAILED,
        S.CANCELED,
    }
    assert payout_states.transition(S.PAID, E.FAILED) is S.FAILED


@pytest.mark.parametrize("status", [S.FAILED, S.CANCELED])
@pytest.mark.parametrize("event", list(E))
def test_no_event_moves_a_finished_payout(status: PayoutStatus, event: PayoutEvent) -> None:
    with pytest.raises(InvalidTransitionError) as raised:
        payout_states.transition(status, event)
    assert raised.value.machine == "payout"
    assert raised.value.from_state == status.value


@pytest.mark.parametrize(
    ("status", "event", "expected"),
    [
        (S.PAID, E.PAID, "duplicate"),
        (S.FAILED, E.PAID, "duplicate"),  # paid, then returned by the bank
        (S.IN_TRANSIT, E.SUBMITTED, "duplicate"),
        (S.PAID, E.SUBMITTED, "duplicate"),
        (S.CANCELED, E.PAID, "invalid"),
        (S.PAID, E.CANCELED, "invalid"),
        (S.FAILED, E.CANCELED, "invalid"),
    ],
)
def test_classify_tells_repeats_and_late_events_from_contradictions(
    status: PayoutStatus, event: PayoutEvent, expected: str
) -> None:
    assert payout_states.classify(status, event) == expected


def test_an_instant_payout_is_paid_straight_from_pending() -> None:
    assert payout_states.transition(S.PENDING, E.PAID) is S.PAID


@pytest.mark.parametrize("status", [S.IN_TRANSIT, S.PAID, S.FAILED, S.CANCELED])
def test_each_reported_status_names_the_event_that_leads_to_it(status: PayoutStatus) -> None:
    event = payout_states.event_reaching(status)
    assert payout_states.transition(S.PENDING, event) is status


def test_pending_is_reached_by_no_event() -> None:
    with pytest.raises(ValueError, match="pending"):
        payout_states.event_reaching(S.PENDING)


def test_the_status_sets_split_the_statuses() -> None:
    assert {S.PENDING, S.IN_TRANSIT} == payout_states.OPEN_STATUSES
    assert {S.FAILED, S.CANCELED} == payout_states.RETURNED_STATUSES
    assert {S.PENDING, S.IN_TRANSIT, S.PAID} == payout_states.COUNTED_STATUSES
