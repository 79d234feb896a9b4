"""The idempotency context: Stripe-style Idempotency-Keys, scoped by tenant, user and key,
with the request's hash (``records``), the stores (``ports``) and PostgreSQL (``sql``)."""

from tt_payments.idempotency.ports import AnswerWriter, IdempotencyStore
from tt_payments.idempotency.records import (
    KEEP_CLIENT_ERROR,
    KEEP_SUCCESS,
    LEASE,
    Claim,
    DuplicateInProgressError,
    IdempotencyKeyReusedError,
    IdempotencyScope,
    Outcome,
    StoredAnswer,
    request_hash,
    retention,
)

__all__ = [
    "KEEP_CLIENT_ERROR",
    "KEEP_SUCCESS",
    "LEASE",
    "AnswerWriter",
    "Claim",
    "DuplicateInProgressError",
    "IdempotencyKeyReusedError",
    "IdempotencyScope",
    "IdempotencyStore",
    "Outcome",
    "StoredAnswer",
    "request_hash",
    "retention",
]
