"""The Idempotency-Key header: a UUID v4 (spec/NOTES.md item 9).

Money-moving routes require it and replay stored responses (payment-core issue); routes
that move nothing, like calculate-fees, accept it and check only its form.
"""

from __future__ import annotations

import uuid

from litestar import Request

from tt_money.errors import InvalidInputError

HEADER = "idempotency-key"


def check_optional_idempotency_key(request: Request[object, object, object]) -> uuid.UUID | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    try:
        key = uuid.UUID(value)
    except ValueError:
        key = None
    if key is None or key.version != 4 or str(key) != value.strip().lower():
        raise InvalidInputError(
            "Idempotency-Key must be a UUID v4",
            code="IDEMPOTENCY_KEY_INVALID",
            details=(("Idempotency-Key", "must be a UUID v4"),),
        )
    return key
