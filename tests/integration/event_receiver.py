"""A subscriber's HTTP endpoint for the tests, on a raw asyncio socket server so it can
misbehave the ways real receivers do: answer 500, take longer than our timeout, close the
connection without answering, or succeed.

It verifies each request's signature the way a receiver should (our own
``InternalAuthenticator``, keyed by the subscriber's secret), deduplicates by the event id
(``x-tt-event-id``) and keeps, per payment, the effects it applied in order: what a
receiver that "sees each effect once" must end up with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse
from collections import defaultdict
from collections.abc import AsyncIterator

from tests.unit.tt_payments.fakes import RememberedNonces
from tt_money.errors import TicketTokenError
from tt_payments.auth.internal import InternalAuthenticator

OK, FAIL, SLOW, CLOSE = "ok", "500", "slow", "close"


class Receiver:
    def __init__(self, secret: str) -> None:
        self.script: list[str] = []
        """What to do with the next requests, in order; then OK for every one after."""
        self.always: str | None = None
        """When set, what to do with every request (a receiver that is down)."""
        self.slow_seconds = 5.0
        self.requests = 0
        self.bad_signatures = 0
        self.applied: dict[str, list[str]] = defaultdict(list)
        """Per ordering key (paymentId, else aggregateId): event types applied, in order."""
        self.seen: set[str] = set()
        self.duplicates = 0
        self._auth = InternalAuthenticator(
            secrets={"payment-service": secret}, nonces=RememberedNonces()
        )

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests += 1
            behaviour = self.always or (self.script.pop(0) if self.script else OK)
            if behaviour == CLOSE:
                return  # the connection closes with no answer
            if behaviour == FAIL:
                await _answer(writer, 500, b'{"error":"receiver fell over"}')
                return
            split = urllib.parse.urlsplit(target)
            try:
                await self._auth.verify(
                    method=method,
                    path=split.path,
                    raw_query=split.query,
                    headers=headers,
                    body=body,
                )
            except TicketTokenError:
                self.bad_signatures += 1
                await _answer(writer, 401, b'{"error":"bad signature"}')
                return
            self._apply(headers["x-tt-event-id"], json.loads(body))
            if behaviour == SLOW:  # applied, but answered after the sender gave up
                await asyncio.sleep(self.slow_seconds)
            await _answer(writer, 204, b"")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _apply(self, event_id: str, envelope: dict[str, object]) -> None:
        assert envelope["id"] == event_id
        if event_id in self.seen:
            self.duplicates += 1
            return
        self.seen.add(event_id)
        data = envelope["data"]
        assert isinstance(data, dict)
        key = str(data.get("paymentId") or envelope["aggregateId"])
        self.applied[key].append(str(envelope["type"]))


async def _answer(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    writer.write(
        f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()


@contextlib.asynccontextmanager
async def receiving(secret: str) -> AsyncIterator[tuple[Receiver, str]]:
    """A receiver on a free loopback port in this event loop; (receiver, its URL)."""
    receiver = Receiver(secret)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield receiver, f"http://127.0.0.1:{port}/hooks/tickettoken?source=payments"
    finally:
        server.close()
        await server.wait_closed()
