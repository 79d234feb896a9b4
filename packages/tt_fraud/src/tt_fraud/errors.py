"""The errors fraud checks raise, each carrying the spec's error code for the HTTP mapper.

Detection itself never raises: detectors return assessments and the decision engine
returns a ``FraudDecision``. These errors are what the service layer raises once it has
decided to refuse a payment, so the API can answer 403 / 429 with the spec's codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tt_money.errors import (
    InvalidInputError,
    RefusedError,
    TemporarilyUnavailableError,
    TooManyRequestsError,
)

if TYPE_CHECKING:
    from tt_fraud.velocity import VelocityLimit

__all__ = [
    "BotDetectedError",
    "FraudDetectedError",
    "FraudError",
    "FraudInputError",
    "VelocityLimitExceededError",
    "VelocityUnavailableError",
]


class FraudError(RefusedError):
    """Root of the errors that refuse a payment on fraud grounds."""

    default_code = "FRAUD_DETECTED"


class FraudInputError(InvalidInputError):
    """Session data, a velocity policy or a rule set that cannot be read.

    A subclass of ``InvalidInputError`` so a malformed ``sessionData`` answers 422 with
    per-field details, like any other malformed request field.
    """

    default_code = "VALIDATION_ERROR"


class BotDetectedError(FraudError):
    """The session looks automated (spec: 403 BOT_DETECTED)."""

    default_code = "BOT_DETECTED"


class FraudDetectedError(FraudError):
    """The fraud score or a block rule refused the payment (spec: 403 FRAUD_DETECTED)."""

    default_code = "FRAUD_DETECTED"


class VelocityLimitExceededError(TooManyRequestsError):
    """A velocity limit refused the attempt (spec: 429 RATE_LIMIT_EXCEEDED).

    Carries the limit that tripped and how long to wait, for the ``Retry-After`` header.
    """

    default_code = "RATE_LIMIT_EXCEEDED"

    def __init__(
        self,
        message: str,
        *,
        limit: VelocityLimit,
        retry_after_seconds: int,
        code: str | None = None,
    ) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds, code=code)
        self.limit = limit


class VelocityUnavailableError(TemporarilyUnavailableError):
    """The velocity store (Redis) did not answer.

    Raised by the adapter only; whether a payment then fails open or closed is the
    service layer's policy, not ours.
    """

    default_code = "FRAUD_CHECK_UNAVAILABLE"

    def __init__(self, message: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds)
