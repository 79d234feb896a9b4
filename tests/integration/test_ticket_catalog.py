"""What only the local ticket catalog does (the contract both catalogs keep is
test_ticket_catalog_contract.py): held and sold counts, expiry and its periodic job, and
a capacity that never drops below what is held and sold."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.integration.test_payment_faults import Shop, open_shop
from tt_money import USD, Money
from tt_payments import Container
from tt_payments.tickets.records import (
    CapacityBelowSoldError,
    SoldOutError,
    TicketType,
)

SOON = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)


@pytest.fixture
async def shop(container: Container, tenant: uuid.UUID) -> Shop:
    return await open_shop(container, tenant)


async def ticket_type(container: Container, shop: Shop, *, capacity: int = 10) -> TicketType:
    stored, created = await container.ticket_types.put(
        shop.admin,
        event_id=shop.event,
        ticket_type_id=uuid.uuid4(),
        name="General admission",
        price=Money(5000, USD),
        capacity=capacity,
    )
    assert created
    return stored


async def left(container: Container, shop: Shop, ticket: TicketType) -> TicketType:
    """The ticket type as the admin listing counts it (held and sold from the holds), after
    checking that the payment path's quote sees the same number left."""
    listed = {t.id: t for t in await container.ticket_types.of_event(shop.admin, shop.event)}
    quoted = await container.tickets.quote(shop.tenant, shop.event, [ticket.id])
    assert quoted[ticket.id].available == listed[ticket.id].available
    return listed[ticket.id]


async def hold(
    container: Container,
    shop: Shop,
    ticket: TicketType,
    quantity: int = 1,
    *,
    seats: tuple[str, ...] = (),
    hold_id: uuid.UUID | None = None,
    expires_at: dt.datetime = SOON,
) -> uuid.UUID:
    hold_id = hold_id or uuid.uuid4()
    await container.tickets.hold(
        shop.tenant,
        hold_id=hold_id,
        event_id=shop.event,
        ticket_type_id=ticket.id,
        user_id=uuid.uuid4(),
        quantity=quantity,
        seat_numbers=seats,
        expires_at=expires_at,
    )
    return hold_id


async def test_confirm_sells_release_gives_back_each_once(container: Container, shop: Shop) -> None:
    ticket = await ticket_type(container, shop, capacity=5)
    paid = await hold(container, shop, ticket, 2)
    failed = await hold(container, shop, ticket, 2)
    assert await container.tickets.confirm(shop.tenant, paid)
    assert not await container.tickets.confirm(shop.tenant, paid)
    assert await container.tickets.release(shop.tenant, failed)
    assert not await container.tickets.release(shop.tenant, failed)
    assert not await container.tickets.confirm(shop.tenant, failed)
    now = await left(container, shop, ticket)
    assert (now.held, now.sold, now.available) == (0, 2, 3)
    # A refund releases a confirmed hold: the tickets go back on sale.
    assert await container.tickets.release(shop.tenant, paid)
    now = await left(container, shop, ticket)
    assert (now.held, now.sold, now.available) == (0, 0, 5)


async def test_an_expired_hold_returns_its_tickets_and_seats(
    container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=2)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    stale = await hold(container, shop, ticket, 2, seats=("A1", "A2"), expires_at=past)
    with pytest.raises(SoldOutError):
        await hold(container, shop, ticket, 1)
    assert await container.tickets.release_expired(dt.datetime.now(dt.UTC)) >= 1
    assert not await container.tickets.confirm(shop.tenant, stale)
    again = await hold(container, shop, ticket, 2, seats=("A1", "A2"))
    assert again != stale
    assert (await left(container, shop, ticket)).held == 2


async def test_capacity_never_drops_below_what_is_held_and_sold(
    container: Container, shop: Shop
) -> None:
    ticket = await ticket_type(container, shop, capacity=5)
    sold = await hold(container, shop, ticket, 3)
    await container.tickets.confirm(shop.tenant, sold)
    with pytest.raises(CapacityBelowSoldError):
        await container.ticket_types.put(
            shop.admin,
            event_id=shop.event,
            ticket_type_id=ticket.id,
            name=ticket.name,
            price=ticket.price,
            capacity=2,
        )
    raised, created = await container.ticket_types.put(
        shop.admin,
        event_id=shop.event,
        ticket_type_id=ticket.id,
        name="General admission",
        price=Money(6000, USD),
        capacity=8,
    )
    assert not created
    assert (raised.price, raised.capacity, raised.sold, raised.available) == (
        Money(6000, USD),
        8,
        3,
        5,
    )


async def test_the_periodic_job_releases_expired_holds(container: Container, shop: Shop) -> None:
    ticket = await ticket_type(container, shop, capacity=3)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await hold(container, shop, ticket, 2, expires_at=past)
    await hold(container, shop, ticket, 1)  # still within its time
    report = await container.jobs.by_name()["release_ticket_holds"]()
    assert report is not None
    assert report["released"] >= 1
    now = await left(container, shop, ticket)
    assert (now.held, now.available) == (1, 2)
