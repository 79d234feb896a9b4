"""Path parameters: ids arrive as text and are parsed here, so a bad one is a 422 naming it."""

from __future__ import annotations

import uuid

from tt_money.errors import InvalidInputError


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError("Validation failed", details=((field, "must be a UUID"),)) from None
