"""Strict request bodies: the declared schema, exactly, or a VALIDATION_ERROR naming the field.

Litestar converts bodies in msgspec's lax mode, which would turn ``100.0`` into ``100``
and ``"100"`` into ``100``. Amounts are integer cents: a float or a string where cents
are expected must be refused, so every JSON route declares its body type in
``opt={"body": T}`` and this hook decodes the raw bytes with ``strict=True`` first.
"""

from __future__ import annotations

import re

import msgspec
from litestar import Request

from tt_api.idempotency import require_idempotency_key
from tt_money.errors import InvalidInputError

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD_IN_MESSAGE = re.compile(r"field `(?P<name>[^`]+)`")


class InvalidJsonError(InvalidInputError):
    default_code = "INVALID_JSON"


class UnsupportedMediaTypeError(InvalidInputError):
    default_code = "UNSUPPORTED_MEDIA_TYPE"


async def decode_strict_body(request: Request[object, object, object]) -> None:
    # Spec order: the Idempotency-Key is checked before the body is validated.
    if request.route_handler.opt.get("idempotent"):
        require_idempotency_key(request)
    body_type = request.route_handler.opt.get("body")
    if body_type is None:
        return
    media_type, _ = request.content_type
    if media_type != "application/json":
        raise UnsupportedMediaTypeError(
            "the request body must be JSON",
            details=(("Content-Type", "must be application/json"),),
        )
    raw = await request.body()
    if not raw.strip():
        raise InvalidInputError(
            "Validation failed", details=(("body", "a JSON object is required"),)
        )
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
    except msgspec.ValidationError as error:
        field, message = _describe(str(error))
        raise InvalidInputError("Validation failed", details=((field, message),)) from None
    except msgspec.DecodeError as error:
        raise InvalidJsonError(f"The request body is not valid JSON: {error}") from None


def _describe(text: str) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `float` - at `$.tickets[0].price`" as a field + message."""
    match = _PATH.search(text)
    message = text[: match.start()] if match else text
    path = match.group("path") if match else ""
    field = re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
    named = _FIELD_IN_MESSAGE.search(message)
    if named and ("unknown field" in message or "missing required field" in message):
        field = f"{field}.{named.group('name')}" if field else named.group("name")
    return field or "body", message
