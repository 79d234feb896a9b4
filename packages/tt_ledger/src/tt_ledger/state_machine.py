"""A finite state machine given as data: the rows ``(from, to, event)`` it allows.

Payments and refunds each build one from their own table (``payment_states``,
``refund_states``). Every event leads to one status wherever it is allowed, so an event
names its outcome; a status with no row out of it is terminal.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Generic, Literal, TypeVar

from tt_ledger.errors import InvalidTransitionError

__all__ = ["Classification", "StateMachine"]

S = TypeVar("S", bound=enum.Enum)
E = TypeVar("E", bound=enum.Enum)

Classification = Literal["apply", "duplicate", "early", "invalid"]
"""What to do with an event: see ``StateMachine.classify``."""


class StateMachine(Generic[S, E]):
    """The allowed moves between statuses ``S`` on events ``E``; immutable once built.

    ``transition`` is strict (only a listed row moves); ``classify`` tells an event that
    changes nothing (a repeat, or one that arrives after a later one) from one that
    contradicts the current status.
    """

    __slots__ = ("_name", "_next", "_outcome", "_reachable", "_sources", "_transitions")

    def __init__(self, name: str, transitions: Iterable[tuple[S, S, E]]) -> None:
        rows = frozenset(transitions)
        if not rows:
            raise ValueError(f"the {name} state machine has no transitions")
        next_status: dict[tuple[S, E], S] = {}
        outcome: dict[E, S] = {}
        sources: dict[E, frozenset[S]] = {}
        for source, target, event in rows:
            sources[event] = sources.get(event, frozenset()) | {source}
            if outcome.setdefault(event, target) != target:
                raise ValueError(f"{name} event {event.value!r} leads to more than one status")
            next_status[(source, event)] = target
        missing = [event.value for event in type(next(iter(outcome))) if event not in outcome]
        if missing:
            raise ValueError(f"{name} events without a transition: {missing}")

        reachable: dict[S, frozenset[S]] = {}
        for start in {status for row in rows for status in row[:2]}:
            seen = {start}
            frontier = [start]
            while frontier:
                status = frontier.pop()
                for (source, _), target in next_status.items():
                    if source == status and target not in seen:
                        seen.add(target)
                        frontier.append(target)
            reachable[start] = frozenset(seen)

        self._name = name
        self._transitions = rows
        self._next = next_status
        self._outcome = outcome
        self._reachable = reachable
        self._sources = sources

    @property
    def transitions(self) -> frozenset[tuple[S, S, E]]:
        """Every allowed ``(from, to, event)``: the rows of the database's copy of the table."""
        return self._transitions

    def transition(self, current: S, event: E) -> S:
        """The status ``event`` moves ``current`` to; ``InvalidTransitionError`` if no row
        allows it (a repeat of the event that led to ``current`` included)."""
        target = self._next.get((current, event))
        if target is None:
            raise InvalidTransitionError(
                machine=self._name,
                from_state=str(current.value),
                to_state=str(self._outcome[event].value),
                event=str(event.value),
            )
        return target

    def classify(self, current: S, event: E) -> Classification:
        """How to handle ``event`` arriving while the status is ``current``.

        ``"apply"``: a row allows it; call ``transition``. ``"duplicate"``: no row, but
        ``current`` already reflects the event: it is the event's outcome, or a status
        reachable from it (``payment.succeeded`` twice, or ``payment.processing`` delivered
        after ``payment.succeeded``); record it and change nothing. ``"early"``: not yet,
        but ``current`` can still reach a status the event applies to (a refund delivered
        before its payment succeeded): hold it and try again later. ``"invalid"``: the
        event contradicts ``current`` and never can apply (``payment.succeeded`` on a
        failed payment); ``transition`` would raise.
        """
        if (current, event) in self._next:
            return "apply"
        if current in self._reachable.get(self._outcome[event], frozenset()):
            return "duplicate"
        reachable = self._reachable.get(current, frozenset({current}))
        if self._sources[event] & reachable:
            return "early"
        return "invalid"

    def is_terminal(self, status: S) -> bool:
        """Whether no row leaves ``status``: it never changes again."""
        return not any(source == status for source, _ in self._next)
