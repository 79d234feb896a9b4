"""The root of every error TicketToken raises on purpose.

Each error carries the spec's machine-readable ``code`` (``VALIDATION_ERROR``,
``VENUE_NOT_FOUND`` ...). The HTTP shell owns the one table that maps codes to status
codes; domain code never speaks HTTP. ``details`` holds per-field problems as
``(field, message)`` pairs, rendered as the spec's ``errors[]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class TicketTokenError(Exception):
    """Base of the hierarchy; subclasses set ``default_code``."""

    default_code: ClassVar[str] = "INTERNAL_ERROR"
    replayable: ClassVar[bool] = True
    """False for refusals a retry under the same Idempotency-Key may cure (a rate limit,
    an outage, a missing queue token): the key is not kept for them."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: tuple[tuple[str, str], ...] = tuple(details)


class InvalidInputError(TicketTokenError):
    """Input that breaks a rule of the domain (the API answers 422 VALIDATION_ERROR)."""

    default_code = "VALIDATION_ERROR"


class NotFoundError(TicketTokenError):
    """Something named by id does not exist for this tenant."""

    default_code = "NOT_FOUND"


class ConflictError(TicketTokenError):
    """The request clashes with the current state."""

    default_code = "CONFLICT"


class RefusedError(TicketTokenError):
    """The rules refuse this request (403): a bot, a fraud decision, a queue token, a
    purchase limit. Not an authorisation problem: the caller is who they say."""

    default_code = "FORBIDDEN"


class RetryLaterError(TicketTokenError):
    """A refusal that time cures; the API sends ``Retry-After``."""

    replayable = False

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: int,
        code: str | None = None,
        details: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_seconds = max(1, retry_after_seconds)


class TooManyRequestsError(RetryLaterError):
    """A rate or velocity limit (429)."""

    default_code = "RATE_LIMIT_EXCEEDED"


class TemporarilyUnavailableError(RetryLaterError):
    """Something this request needs is down and we will not guess without it (503)."""

    default_code = "SERVICE_UNAVAILABLE"


class MoneyError(InvalidInputError):
    """Arithmetic or construction that would corrupt an amount."""

    default_code = "INVALID_AMOUNT"


class CurrencyMismatchError(MoneyError):
    """Two amounts in different currencies were combined."""

    default_code = "CURRENCY_MISMATCH"


class UnsupportedCurrencyError(MoneyError):
    """A currency code we do not know (ISO 4217 code not in our table)."""

    default_code = "UNSUPPORTED_CURRENCY"
