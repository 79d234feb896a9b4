"""The pre-payment checks: bot, fraud and velocity (``fraud.service``).

Each check sees the attempt before any money moves and either raises one of our errors
(403 ``BOT_DETECTED``, 429 ``RATE_LIMIT_EXCEEDED``, ...) or returns a ``CheckResult``
that may ask the processor for 3-D Secure or flag the payment for review. Checks run in
the order given to ``bootstrap``, after the waiting room's access token and before the
purchase limits (``PaymentService`` does those two itself: one uses up a token, the
other counts inside the payment's insert).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs

from tt_payments.auth.identity import Principal
from tt_payments.payments import PaymentRequest


@attrs.frozen(kw_only=True)
class PaymentAttempt:
    principal: Principal
    request: PaymentRequest
    ip_address: str | None
    access_token: str | None
    """The waiting room's ``x-access-token``, for high-demand events."""
    session_data: Mapping[str, object] | None = None
    """The request's ``sessionData`` (browser behaviour), as sent."""
    high_demand: bool = False
    """Whether the event is a high-demand event (a scalper signal)."""


@attrs.frozen(kw_only=True)
class CheckResult:
    require_three_d_secure: bool = False
    flag_for_review: bool = False
    reasons: tuple[str, ...] = ()


class PrePaymentCheck(Protocol):
    async def __call__(self, attempt: PaymentAttempt) -> CheckResult: ...


def combine(results: list[CheckResult]) -> CheckResult:
    return CheckResult(
        require_three_d_secure=any(result.require_three_d_secure for result in results),
        flag_for_review=any(result.flag_for_review for result in results),
        reasons=tuple(reason for result in results for reason in result.reasons),
    )
