"""StateMachine: a table that could not be a state machine is refused when it is built."""

from __future__ import annotations

import enum

import pytest

from tt_ledger import StateMachine


class Light(enum.Enum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Flip(enum.Enum):
    SWITCH_ON = "on"
    SWITCH_OFF = "off"


def test_a_table_defines_moves_reachability_and_terminal_states() -> None:
    machine = StateMachine(
        "light",
        [
            (Light.OFF, Light.ON, Flip.SWITCH_ON),
            (Light.ON, Light.OFF, Flip.SWITCH_OFF),
        ],
    )
    assert machine.transition(Light.OFF, Flip.SWITCH_ON) is Light.ON
    assert machine.classify(Light.ON, Flip.SWITCH_ON) == "duplicate"
    # a status the table never leaves is terminal, even one it never mentions
    assert machine.is_terminal(Light.BROKEN)
    assert not machine.is_terminal(Light.ON)
    assert machine.classify(Light.BROKEN, Flip.SWITCH_ON) == "invalid"


def test_an_empty_table_is_refused() -> None:
    with pytest.raises(ValueError, match="no transitions"):
        StateMachine[Light, Flip]("light", [])


def test_an_event_that_leads_to_two_statuses_is_refused() -> None:
    with pytest.raises(ValueError, match="more than one status"):
        StateMachine(
            "light",
            [
                (Light.OFF, Light.ON, Flip.SWITCH_ON),
                (Light.BROKEN, Light.OFF, Flip.SWITCH_ON),
                (Light.ON, Light.OFF, Flip.SWITCH_OFF),
            ],
        )


def test_an_event_without_a_row_is_refused() -> None:
    with pytest.raises(ValueError, match="without a transition"):
        StateMachine("light", [(Light.OFF, Light.ON, Flip.SWITCH_ON)])
