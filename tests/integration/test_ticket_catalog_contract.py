"""The ``TicketCatalog`` contract, run against both adapters: the local catalog on
PostgreSQL, and the ticket service over HTTP (``HttpTicketCatalog`` against a local server
speaking docs/INTEGRATION.md's JSON, signed with our internal HMAC). Then what only the
HTTP adapter meets: a ticket service that fails, answers nonsense, refuses our signature,
or is too slow."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.integration.test_payment_faults import Shop, open_shop
from tests.integration.ticket_service_server import SECRET, TicketServiceDouble, serving
from tt_money import USD, Money
from tt_money.errors import InvalidInputError
from tt_payments import Container
from tt_payments.adapters.ticket_service import HttpTicketCatalog, TicketServiceUnavailableError
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.records import (
    HoldStatus,
    SeatTakenError,
    SoldOutError,
    TicketType,
    TicketTypeNotFoundError,
)

SOON = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
ANSWERED_TIMEOUT_SECONDS = 30.0
"""For calls the local server answers: only a stuck server ever reaches it."""


@pytest.fixture
async def shop(container: Container, tenant: uuid.UUID) -> Shop:
    return await open_shop(container, tenant)


@pytest.fixture
async def double(container: Container) -> AsyncIterator[tuple[TicketServiceDouble, str]]:
    async with serving(container.tickets) as served:
        yield served


@pytest.fixture(params=["local", "ticket-service"])
async def catalog(
    request: pytest.FixtureRequest, container: Container
) -> AsyncIterator[TicketCatalog]:
    if request.param == "local":
        yield container.tickets
        return
    async with serving(container.tickets) as (_, url):
        remote = HttpTicketCatalog(url, secret=SECRET, timeout_seconds=ANSWERED_TIMEOUT_SECONDS)
        try:
            yield remote
        finally:
            await remote.aclose()


async def ticket_type(container: Container, shop: Shop, *, capacity: int) -> TicketType:
    stored, _ = await container.ticket_types.put(
        shop.admin,
        event_id=shop.event,
        ticket_type_id=uuid.uuid4(),
        name="Balcony",
        price=Money(7500, USD),
        capacity=capacity,
    )
    return stored


async def available(catalog: TicketCatalog, shop: Shop, ticket: TicketType) -> int:
    return (await catalog.quote(shop.tenant, shop.event, [ticket.id]))[ticket.id].available


async def hold(
    catalog: TicketCatalog,
    shop: Shop,
    ticket: TicketType,
    quantity: int = 1,
    *,
    seats: tuple[str, ...] = (),
    hold_id: uuid.UUID | None = None,
) -> uuid.UUID:
    hold_id = hold_id or uuid.uuid4()
    held = await catalog.hold(
        shop.tenant,
        hold_id=hold_id,
        event_id=shop.event,
        ticket_type_id=ticket.id,
        user_id=shop.buyer.user_id,
        quantity=quantity,
        seat_numbers=seats,
        expires_at=SOON,
    )
    assert (held.id, held.quantity, held.status) == (hold_id, quantity, HoldStatus.HELD)
    assert held.seat_numbers == seats
    return hold_id


async def test_a_quote_has_the_verified_price_and_what_is_left(
    catalog: TicketCatalog, container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=10)
    unknown = uuid.uuid4()
    quoted = await catalog.quote(shop.tenant, shop.event, [ticket.id, unknown])
    assert list(quoted) == [ticket.id]
    got = quoted[ticket.id]
    assert (got.name, got.price, got.capacity, got.available) == (
        "Balcony",
        Money(7500, USD),
        10,
        10,
    )
    assert await catalog.quote(shop.tenant, uuid.uuid4(), [ticket.id]) == {}
    assert await catalog.quote(shop.tenant, shop.event, []) == {}


async def test_fifty_buyers_racing_for_ten_tickets_hold_exactly_ten(
    catalog: TicketCatalog, container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=10)
    results = await asyncio.gather(
        *(hold(catalog, shop, ticket) for _ in range(50)), return_exceptions=True
    )
    held = [result for result in results if isinstance(result, uuid.UUID)]
    refused = [result for result in results if not isinstance(result, uuid.UUID)]
    assert len(held) == 10
    assert len(refused) == 40
    assert all(isinstance(error, SoldOutError) for error in refused), refused
    assert await available(catalog, shop, ticket) == 0


async def test_a_hold_is_idempotent_per_id(
    catalog: TicketCatalog, container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=4)
    hold_id = uuid.uuid4()
    await hold(catalog, shop, ticket, 2, hold_id=hold_id)
    await asyncio.gather(*(hold(catalog, shop, ticket, 2, hold_id=hold_id) for _ in range(4)))
    assert await available(catalog, shop, ticket) == 2
    # Twins racing from the first attempt for the last two tickets: one hold, counted once.
    last = uuid.uuid4()
    await asyncio.gather(*(hold(catalog, shop, ticket, 2, hold_id=last) for _ in range(6)))
    assert await available(catalog, shop, ticket) == 0
    # A retry of the hold that took the last tickets is that hold, not "sold out".
    assert await hold(catalog, shop, ticket, 2, hold_id=last) == last
    assert await available(catalog, shop, ticket) == 0


async def test_confirm_and_release_move_a_hold_once_each(
    catalog: TicketCatalog, container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=5)
    paid, failed = await hold(catalog, shop, ticket, 2), await hold(catalog, shop, ticket, 2)
    assert await catalog.confirm(shop.tenant, paid)
    assert not await catalog.confirm(shop.tenant, paid)
    assert await catalog.release(shop.tenant, failed)
    assert not await catalog.release(shop.tenant, failed)
    assert not await catalog.confirm(shop.tenant, failed)
    assert await available(catalog, shop, ticket) == 3
    assert await catalog.release(shop.tenant, paid)  # refunded: back on sale
    assert await available(catalog, shop, ticket) == 5
    assert not await catalog.confirm(shop.tenant, uuid.uuid4())


async def test_refusals_are_our_errors_and_take_nothing(
    catalog: TicketCatalog, container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=4)
    await hold(catalog, shop, ticket, 2, seats=("B1", "B2"))
    with pytest.raises(SeatTakenError):
        await hold(catalog, shop, ticket, 2, seats=("B2", "B3"))
    with pytest.raises(SoldOutError):
        await hold(catalog, shop, ticket, 3)
    with pytest.raises(InvalidInputError) as duplicate:
        await hold(catalog, shop, ticket, 2, seats=("C1", "C1"))
    assert duplicate.value.code == "VALIDATION_ERROR"
    elsewhere = TicketType(
        tenant_id=shop.tenant,
        id=uuid.uuid4(),
        event_id=shop.event,
        name="Nowhere",
        price=Money(1, USD),
        capacity=1,
    )
    with pytest.raises(TicketTypeNotFoundError):
        await hold(catalog, shop, elsewhere)
    with pytest.raises(TicketTypeNotFoundError):
        await hold(catalog, shop, elsewhere, seats=("A1",))
    assert await available(catalog, shop, ticket) == 2
    await hold(catalog, shop, ticket, 1, seats=("B3",))
    assert await available(catalog, shop, ticket) == 1


# What only the HTTP adapter meets.


async def test_every_call_is_signed_and_names_the_tenant(
    container: Container, shop: Shop, double: tuple[TicketServiceDouble, str]
) -> None:
    server, url = double
    ticket = await ticket_type(container, shop, capacity=3)
    forged = HttpTicketCatalog(url, secret="not-the-secret", timeout_seconds=30)
    try:
        with pytest.raises(TicketServiceUnavailableError):
            await forged.quote(shop.tenant, shop.event, [ticket.id])
    finally:
        await forged.aclose()
    assert server.calls == []  # refused at the signature, before anything ran
    remote = HttpTicketCatalog(url, secret=SECRET, timeout_seconds=30)
    try:
        await remote.quote(shop.tenant, shop.event, [ticket.id])
        await hold(remote, shop, ticket)
    finally:
        await remote.aclose()
    assert server.calls == [
        f"GET /api/v1/events/{shop.event}/ticket-types",
        "POST /api/v1/holds",
    ]
    assert server.tenants == [str(shop.tenant)] * 2


@pytest.mark.parametrize("fault", ["500", "garbage"])
async def test_a_failing_ticket_service_is_unavailable_not_a_guess(
    container: Container, shop: Shop, double: tuple[TicketServiceDouble, str], fault: str
) -> None:
    server, url = double
    ticket = await ticket_type(container, shop, capacity=3)
    server.fault = fault
    remote = HttpTicketCatalog(url, secret=SECRET, timeout_seconds=30)
    try:
        with pytest.raises(TicketServiceUnavailableError) as quoted:
            await remote.quote(shop.tenant, shop.event, [ticket.id])
        assert quoted.value.code == "TICKET_SERVICE_UNAVAILABLE"
        with pytest.raises(TicketServiceUnavailableError):
            await hold(remote, shop, ticket)
        with pytest.raises(TicketServiceUnavailableError):
            await remote.confirm(shop.tenant, uuid.uuid4())
    finally:
        await remote.aclose()


async def test_a_slow_ticket_service_times_out_and_an_unreachable_one_is_unavailable(
    container: Container, shop: Shop, double: tuple[TicketServiceDouble, str]
) -> None:
    server, url = double
    ticket = await ticket_type(container, shop, capacity=3)
    server.fault = "slow"  # held until the test ends: slower than any timeout
    remote = HttpTicketCatalog(url, secret=SECRET, timeout_seconds=0.2)
    try:
        with pytest.raises(TicketServiceUnavailableError, match="in time"):
            await remote.quote(shop.tenant, shop.event, [ticket.id])
    finally:
        await remote.aclose()
    nobody = HttpTicketCatalog("http://127.0.0.1:1", secret=SECRET, timeout_seconds=5)
    try:
        with pytest.raises(TicketServiceUnavailableError, match="reached"):
            await nobody.quote(shop.tenant, shop.event, [ticket.id])
    finally:
        await nobody.aclose()
