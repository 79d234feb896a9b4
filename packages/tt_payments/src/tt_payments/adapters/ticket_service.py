"""The ticket service over HTTP as a ``TicketCatalog`` (``TT_TICKET_SERVICE_URL``).

The JSON contract is docs/INTEGRATION.md's "The ticket service". Every request is signed
with the internal HMAC scheme (``tt_payments.auth.internal``: we are
``payment-service``, with ``TT_TICKET_SERVICE_SECRET``), names the tenant in
``x-tenant-id`` and has a timeout. Answers become our errors: 404/409 with the
contract's codes become ``TicketTypeNotFoundError``, ``SoldOutError`` and
``SeatTakenError``; a timeout, a refused connection, a 5xx, a 401/403 (our signature
refused: a configuration problem, never the buyer's) or an answer that is not the
contract's become ``TicketServiceUnavailableError`` (503, nothing charged).

Moving a payment's holds inside its transaction is not something a remote service can
join: with this catalog the holds are confirmed and released by the ticket service
itself, from the payment's events (``payment.completed``, ``payment.failed``,
``payment.expired``, ``payment.cancelled``, ``refund.completed`` with
``fullyRefunded``), which carry the hold ids and are delivered to it at least once by the
outbox (docs/OPERATIONS.md, "Event subscribers"). ``EventCarriedHolds`` is the payment
transaction's side of that.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NoReturn

import httpx

from tt_money import Money, currency_for
from tt_money.errors import InvalidInputError, RetryLaterError, TicketTokenError
from tt_payments.auth.internal import signed_headers
from tt_payments.tickets.records import (
    HoldStatus,
    SeatTakenError,
    SoldOutError,
    TicketHold,
    TicketType,
    TicketTypeNotFoundError,
    distinct_seats,
)

__all__ = [
    "SERVICE_NAME",
    "EventCarriedHolds",
    "HttpTicketCatalog",
    "TicketServiceUnavailableError",
]

_log = logging.getLogger(__name__)

SERVICE_NAME = "payment-service"
"""Who we are in ``x-internal-service`` when we call the ticket service."""

_REFUSALS: Mapping[str, type[TicketTokenError]] = {
    "TICKET_TYPE_NOT_FOUND": TicketTypeNotFoundError,
    "SOLD_OUT": SoldOutError,
    "SEAT_TAKEN": SeatTakenError,
}


class TicketServiceUnavailableError(RetryLaterError):
    """The ticket service did not answer as the contract says: the payment is refused
    before anything is charged (503; the buyer may retry)."""

    default_code = "TICKET_SERVICE_UNAVAILABLE"


class HttpTicketCatalog:
    """``TicketCatalog`` on the ticket service's HTTP API (one pooled client)."""

    def __init__(
        self,
        base_url: str,
        *,
        secret: str,
        timeout_seconds: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the ticket service's HMAC secret is required")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._secret = secret
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds),
            transport=transport,
            headers={"accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def quote(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, ticket_type_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, TicketType]:
        if not ticket_type_ids:
            return {}
        query = "ids=" + ",".join(sorted(str(type_id) for type_id in ticket_type_ids))
        answer = await self._call(
            tenant_id, "GET", f"/api/v1/events/{event_id}/ticket-types", query=query
        )
        try:
            found = [_ticket_type(tenant_id, event_id, row) for row in answer.body["ticketTypes"]]
        except (KeyError, TypeError, ValueError, InvalidInputError) as error:
            _unreadable(answer.response, error)
        wanted = set(ticket_type_ids)
        return {ticket_type.id: ticket_type for ticket_type in found if ticket_type.id in wanted}

    async def hold(
        self,
        tenant_id: uuid.UUID,
        *,
        hold_id: uuid.UUID,
        event_id: uuid.UUID,
        ticket_type_id: uuid.UUID,
        user_id: uuid.UUID,
        quantity: int,
        seat_numbers: Sequence[str] = (),
        expires_at: dt.datetime,
    ) -> TicketHold:
        seats = distinct_seats(quantity, tuple(seat_numbers))
        answer = await self._call(
            tenant_id,
            "POST",
            "/api/v1/holds",
            body={
                "holdId": str(hold_id),
                "eventId": str(event_id),
                "ticketTypeId": str(ticket_type_id),
                "userId": str(user_id),
                "quantity": quantity,
                "seatNumbers": list(seats),
                "expiresAt": expires_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            },
        )
        try:
            return _hold(tenant_id, answer.body["hold"])
        except (KeyError, TypeError, ValueError) as error:
            _unreadable(answer.response, error)

    async def confirm(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        return await self._move(tenant_id, hold_id, "confirm")

    async def release(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        return await self._move(tenant_id, hold_id, "release")

    async def release_expired(self, now: dt.datetime, *, limit: int = 500) -> int:
        """Nothing to do here: the ticket service expires its own holds."""
        return 0

    async def _move(self, tenant_id: uuid.UUID, hold_id: uuid.UUID, verb: str) -> bool:
        answer = await self._call(tenant_id, "POST", f"/api/v1/holds/{hold_id}/{verb}", body={})
        changed = answer.body.get("changed")
        if not isinstance(changed, bool):
            _unreadable(answer.response, ValueError("no boolean 'changed'"))
        return changed

    async def _call(
        self,
        tenant_id: uuid.UUID,
        method: str,
        path: str,
        *,
        query: str = "",
        body: Mapping[str, object] | None = None,
    ) -> _Answer:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "x-tenant-id": str(tenant_id),
            **signed_headers(
                service=SERVICE_NAME,
                secret=self._secret,
                method=method,
                path=path,
                raw_query=query,
                body=content,
                nonce=secrets.token_urlsafe(24),
            ),
        }
        if body is not None:
            headers["content-type"] = "application/json"
        url = f"{path}?{query}" if query else path
        try:
            response = await self._client.request(method, url, content=content, headers=headers)
        except httpx.TimeoutException as error:
            raise _unavailable(f"the ticket service did not answer in time ({error!r})") from None
        except httpx.HTTPError as error:
            raise _unavailable(f"the ticket service cannot be reached ({error!r})") from None
        parsed = _json(response)
        if response.status_code in {200, 201}:
            return _Answer(response, parsed)
        code = parsed.get("code") if isinstance(parsed.get("code"), str) else None
        refusal = _REFUSALS.get(code or "")
        if refusal is not None and response.status_code in {404, 409, 422}:
            message = str(parsed.get("error") or code)
            raise refusal(message, details=_details(parsed))
        if response.status_code == 422:
            raise InvalidInputError(
                str(parsed.get("error") or "the ticket service refused the request"),
                details=_details(parsed),
            )
        _log.error(
            "ticket service answered %s %s with %s %s (request %s)",
            method,
            path,
            response.status_code,
            code,
            response.headers.get("x-request-id"),
        )
        raise _unavailable(f"the ticket service answered {response.status_code}")


class _Answer:
    __slots__ = ("body", "response")

    def __init__(self, response: httpx.Response, body: dict[str, Any]) -> None:
        self.response = response
        self.body = body


def _unavailable(message: str) -> TicketServiceUnavailableError:
    return TicketServiceUnavailableError(message, retry_after_seconds=2)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        if response.status_code in {200, 201}:
            _unreadable(response, ValueError("not a JSON object"))
        return {}
    return parsed


def _unreadable(response: httpx.Response, error: Exception) -> NoReturn:
    _log.error(
        "ticket service answer to %s is not the contract's: %r",
        response.request.url.path,
        error,
    )
    raise _unavailable("the ticket service's answer was not understood") from None


def _details(body: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return ()
    return tuple(
        (str(item.get("field", "")), str(item.get("message", "")))
        for item in errors
        if isinstance(item, dict)
    )


def _ticket_type(tenant_id: uuid.UUID, event_id: uuid.UUID, row: Mapping[str, Any]) -> TicketType:
    price, capacity, available = row["price"], row["capacity"], row["available"]
    if not all(type(value) is int for value in (price, capacity, available)):
        raise ValueError("price, capacity and available must be integers")
    if uuid.UUID(str(row["eventId"])) != event_id:
        raise ValueError("a ticket type of another event")
    # The service says what is left; what is not is taken (held or sold: it need not say).
    return TicketType(
        tenant_id=tenant_id,
        id=uuid.UUID(str(row["id"])),
        event_id=event_id,
        name=str(row["name"]),
        price=Money(price, currency_for(str(row["currency"]))),
        capacity=capacity,
        taken=max(capacity - available, 0),
    )


def _hold(tenant_id: uuid.UUID, row: Mapping[str, Any]) -> TicketHold:
    quantity = row["quantity"]
    if type(quantity) is not int:
        raise ValueError("quantity must be an integer")
    return TicketHold(
        tenant_id=tenant_id,
        id=uuid.UUID(str(row["id"])),
        ticket_type_id=uuid.UUID(str(row["ticketTypeId"])),
        user_id=uuid.UUID(str(row["userId"])),
        quantity=quantity,
        seat_numbers=tuple(str(seat) for seat in row["seatNumbers"]),
        status=HoldStatus(row["status"]),
        expires_at=dt.datetime.fromisoformat(str(row["expiresAt"])),
    )


class EventCarriedHolds:
    """``TicketHoldWriter`` for a remote ticket service: nothing to write in our
    transaction, because the state change's own outbox event (committed with it) is what
    tells the ticket service to confirm or release the holds it names."""

    __slots__ = ()

    async def confirm(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        # Nothing is known lost here: a hold the ticket service can no longer confirm
        # (it expired there) is not detected by us yet (issue 13 note).
        return []

    async def release(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> int:
        return 0  # nothing moves in our database; the event tells the ticket service
