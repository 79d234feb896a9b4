"""The one mapper from exceptions to the spec's error JSON.

``{"error", "code", "timestamp", "path", "errors": [{"field", "message"}], "requestId"}``
for every failure: our own errors by class (and code), Litestar's HTTP exceptions, body
problems, and anything unexpected (500, logged with its traceback, no details leaked).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from tt_api.logs import request_id_var
from tt_money.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
    RetryLaterError,
    TicketTokenError,
    TooManyRequestsError,
)
from tt_payments.auth.identity import ForbiddenError
from tt_payments.auth.tokens import AuthError
from tt_payments.clock import utcnow
from tt_payments.tickets.records import PriceChangedError
from tt_payments.webhooks import WebhookSignatureError

_log = logging.getLogger("tt_api.errors")

# Most specific first: the first class an error is an instance of gives its status.
_STATUS_BY_CLASS: tuple[tuple[type[TicketTokenError], int], ...] = (
    (AuthError, 401),
    (ForbiddenError, 403),
    (RefusedError, 403),
    (TooManyRequestsError, 429),
    (RetryLaterError, 503),
    (NotFoundError, 404),
    (ConflictError, 409),
    # A provider's webhook signature: 400 (the provider's convention), not 401.
    (WebhookSignatureError, 400),
    (InvalidInputError, 422),
)
# Codes whose status differs from their class's.
_STATUS_BY_CODE = {
    "IDEMPOTENCY_KEY_MISSING": 400,
    "IDEMPOTENCY_KEY_INVALID": 400,
    "INVALID_JSON": 400,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "PAYMENT_FAILED": 402,
    "REFUND_EXCEEDS_ORIGINAL": 400,
    "PROVIDER_UNAVAILABLE": 503,
    "INTERNAL_AUTH_UNAVAILABLE": 503,
    "PROVIDER_ERROR": 502,
    # No rate table covers the requested sale date: the caller asked for something we
    # cannot answer, not a fault of ours.
    "TAX_RATE_UNAVAILABLE": 422,
}
_CODE_BY_HTTP_STATUS = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMIT_EXCEEDED",
}


class ErrorItem(msgspec.Struct):
    field: str
    message: str


class CurrentPriceItem(msgspec.Struct, rename="camel"):
    ticket_type_id: str
    price: int
    """Per ticket, in minor units (cents)."""
    currency: str


class ErrorBody(msgspec.Struct, rename="camel", omit_defaults=True):
    error: str
    code: str
    timestamp: str
    path: str
    errors: list[ErrorItem]
    request_id: str | None = None
    decline_code: str | None = None
    """For PAYMENT_FAILED: the processor's reason (e.g. insufficient_funds)."""
    transaction_id: str | None = None
    current_prices: list[CurrentPriceItem] | None = None
    """For PRICE_CHANGED: each ticket type whose price differed, at its price now."""


def error_body(
    request: Request[object, object, object],
    *,
    code: str,
    message: str,
    details: Sequence[tuple[str, str]] = (),
) -> ErrorBody:
    return ErrorBody(
        error=message,
        code=code,
        timestamp=utcnow().isoformat(timespec="milliseconds"),
        path=request.url.path,
        errors=[ErrorItem(field=field, message=text) for field, text in details],
        request_id=request_id_var.get(),
    )


def error_response(
    request: Request[object, object, object],
    *,
    status: int,
    code: str,
    message: str,
    details: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    body = error_body(request, code=code, message=message, details=details)
    return Response(body, status_code=status, headers=headers)


def domain_error(
    request: Request[object, object, object], exc: TicketTokenError
) -> tuple[int, ErrorBody]:
    """The status and spec error JSON of one of our errors."""
    status = _STATUS_BY_CODE.get(exc.code) or next(
        (status for cls, status in _STATUS_BY_CLASS if isinstance(exc, cls)), 500
    )
    if status >= 500:
        _log.error("unmapped domain error", exc_info=exc)
    body = error_body(request, code=exc.code, message=exc.message, details=exc.details)
    decline_code = getattr(exc, "decline_code", None)
    transaction_id = getattr(exc, "transaction_id", None)
    if decline_code is not None or transaction_id is not None:
        body = msgspec.structs.replace(
            body,
            decline_code=decline_code,
            transaction_id=None if transaction_id is None else str(transaction_id),
        )
    if isinstance(exc, PriceChangedError):
        body = msgspec.structs.replace(
            body,
            current_prices=[
                CurrentPriceItem(
                    ticket_type_id=str(type_id), price=price.minor, currency=price.currency.code
                )
                for type_id, price in exc.current_prices
            ],
        )
    return status, body


def retry_headers(exc: TicketTokenError) -> dict[str, str] | None:
    """``Retry-After`` for refusals that time cures (429, 503)."""
    if isinstance(exc, RetryLaterError):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return None


def exception_to_response(
    request: Request[object, object, object], exc: Exception
) -> Response[ErrorBody]:
    if isinstance(exc, TicketTokenError):
        status, body = domain_error(request, exc)
        return Response(body, status_code=status, headers=retry_headers(exc))
    if isinstance(exc, ValidationException):
        # Query and path parameters Litestar validated itself (bodies are decoded strictly
        # by tt_api.body before Litestar sees them).
        extra = exc.extra if isinstance(exc.extra, list) else []
        details = [
            (str(item.get("key", "")), str(item.get("message", "")))
            for item in extra
            if isinstance(item, dict)
        ]
        return error_response(
            request,
            status=422,
            code="VALIDATION_ERROR",
            message="Validation failed",
            details=details,
        )
    if isinstance(exc, HTTPException):
        status = exc.status_code
        code = _CODE_BY_HTTP_STATUS.get(status, "HTTP_ERROR")
        message = "The request body is larger than 64 KiB" if status == 413 else str(exc.detail)
        return error_response(
            request, status=status, code=code, message=message, headers=exc.headers
        )
    _log.error("unhandled error", exc_info=exc)
    return error_response(
        request, status=500, code="INTERNAL_ERROR", message="Internal server error"
    )
