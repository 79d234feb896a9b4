"""Idempotency keys for money-moving requests (spec "Critical features 1", NOTES item 9).

A request carries an ``Idempotency-Key`` (UUID v4), scoped by tenant + user + key and
bound to a hash of the request. The first request with a key starts it (a lease of
``LEASE``); later ones get, by what is on record:

* same hash, finished: the stored response, replayed byte for byte;
* other hash: ``IDEMPOTENCY_KEY_REUSED`` (422), whatever the state;
* same hash, running (lease alive): ``DUPLICATE_IN_PROGRESS`` (409);
* same hash, running but the lease ran out (the first process died, or answered 202 after
  a processor timeout): the caller RESUMES the same operation, which is written to finish
  what was started rather than start again.

Finished responses are kept 24 h (2xx) or 1 h (4xx); a 5xx is forgotten so the client may
retry. The record is durable in PostgreSQL; correctness never depends on Redis.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Mapping

import attrs

from tt_money.errors import ConflictError, InvalidInputError

LEASE = dt.timedelta(seconds=150)
"""Longer than a processor call can take (Stripe: 30 s per attempt, 3 attempts), so a
retry cannot take over a key whose first request is still waiting on the processor."""
KEEP_SUCCESS = dt.timedelta(hours=24)
KEEP_CLIENT_ERROR = dt.timedelta(hours=1)


class IdempotencyKeyReusedError(InvalidInputError):
    default_code = "IDEMPOTENCY_KEY_REUSED"


class DuplicateInProgressError(ConflictError):
    default_code = "DUPLICATE_IN_PROGRESS"


@attrs.frozen(kw_only=True)
class IdempotencyScope:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    key: uuid.UUID
    operation: str
    request_hash: str


class Outcome(enum.Enum):
    STARTED = "started"
    RESUMED = "resumed"
    REPLAY = "replay"


@attrs.frozen(kw_only=True)
class Claim:
    """What ``begin`` decided. ``REPLAY`` carries the stored response."""

    outcome: Outcome
    response_status: int | None = None
    response_body: bytes | None = None


@attrs.frozen(kw_only=True)
class StoredAnswer:
    """A response the operation stored under its key in its own final transaction.

    Writing the answer in the same commit as the money (the "atomic phase" of Stripe-style
    idempotency keys) saves a transaction per request and leaves no window in which the
    payment is finished but its key still says in progress.
    """

    status: int
    body: bytes


def request_hash(method: str, path: str, body: Mapping[str, object] | list[object]) -> str:
    """SHA-256 of the request's meaning: method, path and canonical JSON of the body.

    Whitespace and key order do not change it; a different amount does.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def retention(status: int) -> dt.timedelta | None:
    """How long a finished response is kept: None means forget it (5xx)."""
    if status >= 500:
        return None
    return KEEP_SUCCESS if status < 400 else KEEP_CLIENT_ERROR
