"""The Idempotency-Key header: a UUID v4 (spec/NOTES.md item 9).

Money-moving routes require it (``opt={"idempotent": "<operation>"}``) and run through
``run_idempotent``, which claims the key, replays a finished response byte for byte, and
stores what this request answers; routes that move nothing, like calculate-fees, accept
the header and check only its form.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import msgspec
from litestar import MediaType, Request, Response

from tt_api.errors import domain_error, retry_headers
from tt_money.errors import InvalidInputError, TicketTokenError
from tt_payments.auth.identity import Principal
from tt_payments.idempotency import (
    IdempotencyScope,
    IdempotencyStore,
    Outcome,
    StoredAnswer,
    request_hash,
)

HEADER = "idempotency-key"


def require_idempotency_key(request: Request[object, object, object]) -> uuid.UUID:
    key = check_optional_idempotency_key(request)
    if key is None:
        raise InvalidInputError(
            "an Idempotency-Key header (a UUID v4) is required for this request",
            code="IDEMPOTENCY_KEY_MISSING",
            details=(("Idempotency-Key", "is required"),),
        )
    return key


async def run_idempotent(
    request: Request[object, object, object],
    store: IdempotencyStore,
    principal: Principal,
    operation: str,
    handler: Callable[[IdempotencyScope], Awaitable[tuple[int, msgspec.Struct] | StoredAnswer]],
) -> Response[bytes]:
    """Run ``handler`` at most once per key; replay its stored answer to retries.

    The handler gets the key's scope and answers (status, body), or a ``StoredAnswer`` when
    it stored its response under the key itself, in its own final transaction. A 202
    (outcome unknown) releases the key so the retry resumes the operation; a 5xx or an
    unexpected error forgets it so the client may try again.
    """
    body = msgspec.json.decode(await request.body())
    scope = IdempotencyScope(
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        key=require_idempotency_key(request),
        operation=operation,
        request_hash=request_hash(request.method, request.url.path, body),
    )
    claim = await store.begin(scope)
    if claim.outcome is Outcome.REPLAY:
        if claim.response_status is None or claim.response_body is None:
            raise RuntimeError("a finished idempotency record without its response")
        return Response(
            claim.response_body,
            status_code=claim.response_status,
            media_type=MediaType.JSON,
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        answered = await handler(scope)
    except TicketTokenError as error:
        if not error.replayable:
            # A rate limit, an outage, a missing queue token: the retry under this key
            # may succeed, so the key is not kept for this answer.
            await store.release(scope)
            status, error_answer = domain_error(request, error)
            return Response(
                msgspec.json.encode(error_answer),
                status_code=status,
                media_type=MediaType.JSON,
                headers=retry_headers(error),
            )
        answered = domain_error(request, error)
    except BaseException:
        await store.finish(scope, 500, b"")
        raise
    if isinstance(answered, StoredAnswer):
        return Response(answered.body, status_code=answered.status, media_type=MediaType.JSON)
    status, answer = answered
    encoded = msgspec.json.encode(answer)
    if status == 202:
        await store.release(scope)
    else:
        await store.finish(scope, status, encoded)
    return Response(encoded, status_code=status, media_type=MediaType.JSON)


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
