"""Where idempotency records live: claimed and finished per request (``IdempotencyStore``),
or finished inside an operation's own final transaction (``AnswerWriter``)."""

from __future__ import annotations

from typing import Protocol

from tt_payments.idempotency.records import Claim, IdempotencyScope


class IdempotencyStore(Protocol):
    async def begin(self, scope: IdempotencyScope) -> Claim:
        """Claim the key, or raise IdempotencyKeyReusedError / DuplicateInProgressError."""
        ...

    async def finish(self, scope: IdempotencyScope, status: int, body: bytes) -> None:
        """Store the response (or forget the key for a 5xx)."""
        ...

    async def release(self, scope: IdempotencyScope) -> None:
        """End the lease without a final answer, so a retry resumes at once (202)."""
        ...


class AnswerWriter(Protocol):
    """Answers stored inside an operation's own final transaction (``StoredAnswer``)."""

    async def finish(self, scope: IdempotencyScope, status: int, body: bytes) -> None:
        """Store the response for ``scope``, committed with the transaction (a 5xx is
        forgotten instead, so the request may be retried)."""
        ...
