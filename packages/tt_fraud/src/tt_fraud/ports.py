"""The ports tt_fraud needs from infrastructure, as Protocols (adapters live in adapters/)."""

from __future__ import annotations

from typing import Protocol

from tt_fraud.velocity import VelocityPolicy, VelocitySubjects, VelocityVerdict

__all__ = ["VelocityCounter"]


class VelocityCounter(Protocol):
    """Counts payment attempts in sliding windows, atomically across all limits."""

    async def check_and_record(
        self,
        subjects: VelocitySubjects,
        policy: VelocityPolicy,
        *,
        attempt_id: str,
        now_ms: int,
    ) -> VelocityVerdict:
        """Check every limit of ``policy`` for ``subjects`` at ``now_ms`` and, only if all
        have room, record the attempt under each. All or nothing, in one step.

        Side effects: an allowed attempt is recorded (once per ``attempt_id``: a retry of
        the same attempt is not counted again); a refused one changes nothing.
        Raises ``VelocityUnavailableError`` when the store cannot answer.
        """
        ...
