"""A local ticket service speaking docs/INTEGRATION.md's contract over real HTTP, and
subscribed to our events (``POST /api/v1/webhooks/payment-events``) to confirm and
release the holds they name.

It verifies our internal HMAC signature (as the real one must), answers from a backing
``TicketCatalog`` (the local catalog on the test database, so the HTTP adapter and the
local one are held to the same behaviour), and misbehaves on request: ``fault`` set to
``"500"``, ``"slow"`` (the answer is held until ``release_slow`` is set) or
``"garbage"`` (200 with a body that is not the contract's).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath

from tests.unit.tt_payments.fakes import RememberedNonces
from tt_money.errors import TicketTokenError
from tt_payments.auth.internal import InternalAuthenticator
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.records import TicketHold

SECRET = "ticket-service-secret-for-tests"

_STATUS = {
    "TICKET_TYPE_NOT_FOUND": 404,
    "SOLD_OUT": 409,
    "SEAT_TAKEN": 409,
    "VALIDATION_ERROR": 422,
}


class TicketServiceDouble:
    def __init__(self, backing: TicketCatalog) -> None:
        self.backing = backing
        self.fault: str | None = None
        self.release_slow = asyncio.Event()
        self.calls: list[str] = []
        self.tenants: list[str] = []
        self.events: list[str] = []
        """Event types received on the subscriber endpoint."""
        self._holds: set[uuid.UUID] = set()
        self._auth = InternalAuthenticator(
            secrets={"payment-service": SECRET}, nonces=RememberedNonces()
        )
        self.app = Litestar(
            route_handlers=[
                self._quote_route(),
                self._hold_route(),
                self._move_route(),
                self._events_route(),
            ],
            debug=False,
        )

    async def _guard(self, request: Request[Any, Any, Any]) -> Response[Any] | None:
        """The signature first (401 as our error JSON), then the configured fault."""
        body = await request.body()
        try:
            await self._auth.verify(
                method=request.method,
                path=request.url.path,
                raw_query=request.url.query or "",
                headers=dict(request.headers),
                body=body,
            )
        except TicketTokenError as error:
            return _error(401, error.code, error.message)
        self.calls.append(f"{request.method} {request.url.path}")
        self.tenants.append(request.headers.get("x-tenant-id", ""))
        if self.fault == "500":
            return _error(500, "INTERNAL_ERROR", "the ticket service fell over")
        if self.fault == "slow":
            await self.release_slow.wait()
        if self.fault == "garbage":
            return Response({"unexpected": True}, status_code=200)
        return None

    def _quote_route(self) -> Any:
        double = self

        @get("/api/v1/events/{event_id:uuid}/ticket-types")
        async def quote(
            request: Request[Any, Any, Any], event_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            if (refused := await double._guard(request)) is not None:
                return refused
            tenant = uuid.UUID(request.headers["x-tenant-id"])
            ids = [uuid.UUID(part) for part in request.query_params["ids"].split(",")]
            found = await double.backing.quote(tenant, event_id, ids)
            return Response(
                {
                    "ticketTypes": [
                        {
                            "id": str(t.id),
                            "eventId": str(t.event_id),
                            "name": t.name,
                            "price": t.price.minor,
                            "currency": t.price.currency.code,
                            "capacity": t.capacity,
                            "available": t.available,
                        }
                        for t in found.values()
                    ]
                }
            )

        return quote

    def _hold_route(self) -> Any:
        double = self

        @post("/api/v1/holds")
        async def hold(request: Request[Any, Any, Any]) -> Response[Any]:
            if (refused := await double._guard(request)) is not None:
                return refused
            tenant = uuid.UUID(request.headers["x-tenant-id"])
            body = await request.json()
            hold_id = uuid.UUID(body["holdId"])
            again = hold_id in double._holds
            try:
                held = await double.backing.hold(
                    tenant,
                    hold_id=hold_id,
                    event_id=uuid.UUID(body["eventId"]),
                    ticket_type_id=uuid.UUID(body["ticketTypeId"]),
                    user_id=uuid.UUID(body["userId"]),
                    quantity=int(body["quantity"]),
                    seat_numbers=tuple(body["seatNumbers"]),
                    expires_at=dt.datetime.fromisoformat(body["expiresAt"]),
                )
            except TicketTokenError as error:
                return _error(_STATUS.get(error.code, 422), error.code, error.message, error)
            double._holds.add(hold_id)
            return Response({"hold": _hold_json(held)}, status_code=200 if again else 201)

        return hold

    def _move_route(self) -> Any:
        double = self

        @post("/api/v1/holds/{hold_id:uuid}/{verb:str}")
        async def move(
            request: Request[Any, Any, Any], hold_id: FromPath[uuid.UUID], verb: FromPath[str]
        ) -> Response[Any]:
            if (refused := await double._guard(request)) is not None:
                return refused
            tenant = uuid.UUID(request.headers["x-tenant-id"])
            if verb == "confirm":
                changed = await double.backing.confirm(tenant, hold_id)
            elif verb == "release":
                changed = await double.backing.release(tenant, hold_id)
            else:
                return _error(404, "NOT_FOUND", f"no such verb {verb}")
            return Response({"changed": changed}, status_code=200)

        return move

    def _events_route(self) -> Any:
        """Our events, as a subscriber: the ticket service confirms and releases the holds
        they name (docs/INTEGRATION.md), idempotently, so a redelivery changes nothing."""
        double = self

        @post("/api/v1/webhooks/payment-events", status_code=200)
        async def events(request: Request[Any, Any, Any]) -> Response[Any]:
            if (refused := await double._guard(request)) is not None:
                return refused
            envelope = await request.json()
            tenant, data = uuid.UUID(envelope["tenantId"]), envelope["data"]
            lines = [uuid.UUID(line["holdId"]) for line in data.get("tickets", [])]
            named = [uuid.UUID(hold) for hold in data.get("holdIds", [])]
            kind = envelope["type"]
            double.events.append(kind)
            if kind == "payment.completed":
                for hold in lines:
                    await double.backing.confirm(tenant, hold)
            elif kind in {"payment.failed", "payment.cancelled"}:
                for hold in lines:
                    await double.backing.release(tenant, hold)
            elif kind in {"payment.expired", "refund.completed"}:
                for hold in named:
                    await double.backing.release(tenant, hold)
            return Response({"received": True}, status_code=200)

        return events


def _hold_json(hold: TicketHold) -> dict[str, object]:
    return {
        "id": str(hold.id),
        "ticketTypeId": str(hold.ticket_type_id),
        "userId": str(hold.user_id),
        "quantity": hold.quantity,
        "seatNumbers": list(hold.seat_numbers),
        "status": hold.status.value,
        "expiresAt": hold.expires_at.isoformat(),
    }


def _error(
    status: int, code: str, message: str, error: TicketTokenError | None = None
) -> Response[Any]:
    details = [] if error is None else [{"field": f, "message": m} for f, m in error.details]
    return Response({"error": message, "code": code, "errors": details}, status_code=status)


@contextlib.asynccontextmanager
async def serving(backing: TicketCatalog) -> AsyncIterator[tuple[TicketServiceDouble, str]]:
    """The double on a free loopback port, in this event loop; (double, base URL)."""
    double = TicketServiceDouble(backing)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(double.app, log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield double, f"http://127.0.0.1:{port}"
    finally:
        double.release_slow.set()
        server.should_exit = True
        await task
        sock.close()
