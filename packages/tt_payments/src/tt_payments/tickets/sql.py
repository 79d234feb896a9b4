"""The local ticket catalog in PostgreSQL (``TicketCatalog`` and ``TicketTypeStore``).

A ticket type's row counts ``taken``: the tickets in open or confirmed holds, never past
its capacity. That row is an on-sale's hottest (every buyer of the type moves it), so its
lock is held as briefly as PostgreSQL allows:

- A hold without named seats is ONE autocommitted statement: a conditional ``UPDATE
  ticket_types SET taken = taken + n WHERE taken + n <= capacity`` feeding the insert of
  the hold row. The row lock is released by the statement's own commit, inside the
  server, never waiting on this process to send the next statement (under load, waiting
  for the event loop to come back to a coroutine is what made the lock long). The loser
  of a race for the last tickets finds the condition false; a retry under the same hold
  id fails the hold's primary key, which undoes that statement's count.
- A hold naming seats is one transaction: the hold row, one row per seat (unique per
  ticket type while not released), and the count last, just before the commit.
- Confirming a hold (a completed payment, in the payment's transaction) changes its
  status only: held and confirmed both count as taken, so a payment's commit never waits
  on the ticket type's row. What is held and what is sold are counted from the holds
  when an admin asks (``of_event``, ``put``).

Confirm and release are conditional on the hold's status, so each moves the count once.
The database's checks (never below zero, never past the capacity) hold the invariant even
against a bug here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_money import Money, currency_for
from tt_payments.db import raw
from tt_payments.db.database import autocommit
from tt_payments.db.tables.tickets import ticket_hold_seats, ticket_holds, ticket_types
from tt_payments.tickets.records import (
    CapacityBelowSoldError,
    HoldStatus,
    SeatTakenError,
    SoldOutError,
    TicketHold,
    TicketType,
    TicketTypeNotFoundError,
    distinct_seats,
)

__all__ = ["SqlTicketCatalog", "SqlTicketHolds"]

_TAKE = (
    sa.update(ticket_types)
    .where(
        ticket_types.c.tenant_id == sa.bindparam("w_tenant_id"),
        ticket_types.c.id == sa.bindparam("w_id"),
        ticket_types.c.event_id == sa.bindparam("w_event_id"),
        ticket_types.c.taken + sa.bindparam("w_quantity") <= ticket_types.c.capacity,
    )
    .values(taken=ticket_types.c.taken + sa.bindparam("w_quantity"), updated_at=sa.func.now())
    .returning(ticket_types.c.id)
)

# A hold without seats in one statement: the count, then the hold row from it (nothing is
# inserted when the count's condition fails).
_TAKE_AND_HOLD = raw.RawStatement(
    sa.text(
        """
    WITH take AS (
        UPDATE ticket_types SET taken = taken + :quantity, updated_at = now()
        WHERE tenant_id = :tenant_id AND id = :ticket_type_id AND event_id = :event_id
            AND taken + :quantity <= capacity
        RETURNING tenant_id, id
    )
    INSERT INTO ticket_holds (tenant_id, id, ticket_type_id, user_id, quantity, seat_numbers,
        status, expires_at, created_at, updated_at)
    SELECT tenant_id, :hold_id, id, :user_id, :quantity, '{}', 'held', :expires_at, now(), now()
    FROM take
    RETURNING id
    """
    )
)
_QUOTE = raw.RawStatement(
    sa.select(ticket_types).where(
        ticket_types.c.tenant_id == sa.bindparam("tenant_id"),
        ticket_types.c.event_id == sa.bindparam("event_id"),
        ticket_types.c.id == sa.any_(sa.bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))),
    )
)

_HOLDS_BY_STATUS = (
    sa.select(
        ticket_holds.c.ticket_type_id,
        sa.func.coalesce(
            sa.func.sum(ticket_holds.c.quantity).filter(
                ticket_holds.c.status == HoldStatus.HELD.value
            ),
            0,
        ).label("held"),
        sa.func.coalesce(
            sa.func.sum(ticket_holds.c.quantity).filter(
                ticket_holds.c.status == HoldStatus.CONFIRMED.value
            ),
            0,
        ).label("sold"),
    )
    .where(
        ticket_holds.c.tenant_id == sa.bindparam("tenant_id"),
        ticket_holds.c.ticket_type_id.in_(sa.bindparam("ids", expanding=True)),
        ticket_holds.c.status.in_([HoldStatus.HELD.value, HoldStatus.CONFIRMED.value]),
    )
    .group_by(ticket_holds.c.ticket_type_id)
)


class SqlTicketCatalog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._autocommit = autocommit(engine)

    async def quote(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, ticket_type_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, TicketType]:
        if not ticket_type_ids:
            return {}
        async with self._autocommit.connect() as connection:
            rows = await (await raw.on(connection)).all(
                _QUOTE,
                {"tenant_id": tenant_id, "event_id": event_id, "ids": list(ticket_type_ids)},
            )
        return {row["id"]: _ticket_type(row) for row in rows}

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
        held = TicketHold(
            tenant_id=tenant_id,
            id=hold_id,
            ticket_type_id=ticket_type_id,
            user_id=user_id,
            quantity=quantity,
            seat_numbers=seats,
            status=HoldStatus.HELD,
            expires_at=expires_at,
        )
        if not seats:
            return await self._hold_in_one_statement(held, event_id)
        try:
            return await self._hold_seats(held, event_id)
        except IntegrityError as error:
            if "fk_ticket_holds_ticket_type" not in str(error.orig):
                raise
            raise TicketTypeNotFoundError(
                f"event {event_id} has no ticket type {ticket_type_id}",
                details=(("ticketTypeId", "is not a ticket type of this event"),),
            ) from None

    async def _hold_seats(self, held: TicketHold, event_id: uuid.UUID) -> TicketHold:
        """A hold naming seats: the hold row, its seats and the count in one transaction."""
        tenant_id, hold_id, ticket_type_id = held.tenant_id, held.id, held.ticket_type_id
        user_id, quantity, seats = held.user_id, held.quantity, held.seat_numbers
        async with self._engine.begin() as connection:
            # The hold row and its seats first, the count last: the ticket type's row is
            # locked only from the count to the commit.
            inserted = await connection.execute(
                insert(ticket_holds)
                .values(
                    tenant_id=tenant_id,
                    id=hold_id,
                    ticket_type_id=ticket_type_id,
                    user_id=user_id,
                    quantity=quantity,
                    seat_numbers=list(seats),
                    status=HoldStatus.HELD.value,
                    expires_at=held.expires_at,
                )
                .on_conflict_do_nothing()
                .returning(ticket_holds.c.id)
            )
            if inserted.first() is None:
                # A retry (or a concurrent twin) under the same id: nothing counted yet.
                await connection.rollback()
                twin = await self._get(tenant_id, hold_id)
                if twin is None:  # pragma: no cover - the conflict implies the row
                    raise RuntimeError(f"hold {hold_id} conflicted but does not exist")
                return twin
            taken_seats = await _claim_seats(connection, tenant_id, ticket_type_id, hold_id, seats)
            if taken_seats:
                raise SeatTakenError(
                    f"seats {', '.join(taken_seats)} are taken",
                    details=(("seatNumbers", f"{', '.join(taken_seats)} are taken"),),
                )
            taken = await connection.execute(
                _TAKE,
                {
                    "w_tenant_id": tenant_id,
                    "w_id": ticket_type_id,
                    "w_event_id": event_id,
                    "w_quantity": quantity,
                },
            )
            if taken.first() is None:
                raise await _why_not(connection, tenant_id, event_id, ticket_type_id)
        return held

    async def _hold_in_one_statement(self, hold: TicketHold, event_id: uuid.UUID) -> TicketHold:
        """A hold without seats: count and hold row in one autocommitted statement."""
        try:
            async with self._autocommit.connect() as connection:
                inserted = await (await raw.on(connection)).first(
                    _TAKE_AND_HOLD,
                    {
                        "tenant_id": hold.tenant_id,
                        "ticket_type_id": hold.ticket_type_id,
                        "event_id": event_id,
                        "hold_id": hold.id,
                        "user_id": hold.user_id,
                        "quantity": hold.quantity,
                        "expires_at": hold.expires_at,
                    },
                )
                if inserted is not None:
                    return hold
                # Not counted: sold out, no such ticket type, or a retry of a hold that
                # took the last tickets.
                existing = await _hold(connection, hold.tenant_id, hold.id)
                if existing is not None:
                    return existing
                raise await _why_not(connection, hold.tenant_id, event_id, hold.ticket_type_id)
        except IntegrityError as error:
            if "ticket_holds_pkey" not in str(error.orig):
                raise
        # A retry (or a concurrent twin) under the same id: its statement, count included,
        # was undone by the conflict; the hold is the one recorded first.
        twin = await self._get(hold.tenant_id, hold.id)
        if twin is None:  # pragma: no cover - the conflict implies the row
            raise RuntimeError(f"hold {hold.id} conflicted but does not exist")
        return twin

    async def confirm(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        async with self._engine.begin() as connection:
            return await _confirm_held(connection, tenant_id, hold_id)

    async def release(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        async with self._engine.begin() as connection:
            return await _release(connection, tenant_id, hold_id)

    async def release_expired(self, now: dt.datetime, *, limit: int = 500) -> int:
        async with self._engine.begin() as connection:
            due = (
                await connection.execute(
                    sa.select(ticket_holds.c.tenant_id, ticket_holds.c.id)
                    .where(
                        ticket_holds.c.status == HoldStatus.HELD.value,
                        ticket_holds.c.expires_at <= now,
                    )
                    .order_by(ticket_holds.c.expires_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            released = 0
            for row in due:
                released += await _release(connection, row.tenant_id, row.id)
        return released

    async def aclose(self) -> None:
        """Nothing of its own: it runs on the service's engine."""

    async def put(self, ticket_type: TicketType) -> tuple[TicketType, bool]:
        values = {
            "event_id": ticket_type.event_id,
            "name": ticket_type.name,
            "price": ticket_type.price.minor,
            "currency": ticket_type.price.currency.code,
            "capacity": ticket_type.capacity,
        }
        statement = insert(ticket_types).values(
            tenant_id=ticket_type.tenant_id, id=ticket_type.id, **values
        )
        upsert: sa.Executable = statement.on_conflict_do_update(
            index_elements=["tenant_id", "id"],
            set_={**values, "updated_at": sa.func.now()},
        ).returning(*ticket_types.c, sa.literal_column("(xmax = 0)").label("created"))
        try:
            async with self._engine.begin() as connection:
                row = (await connection.execute(upsert)).mappings().one()
                counts = await _holds_by_status(connection, ticket_type.tenant_id, [row["id"]])
        except IntegrityError as error:
            if "ck_ticket_types_within_capacity" in str(error.orig):
                raise CapacityBelowSoldError(
                    "the capacity is below the tickets already held and sold",
                    details=(("capacity", "must be at least what is held and sold"),),
                ) from None
            raise
        return _ticket_type(row, counts), bool(row["created"])

    async def of_event(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> list[TicketType]:
        query = (
            sa.select(ticket_types)
            .where(ticket_types.c.tenant_id == tenant_id, ticket_types.c.event_id == event_id)
            .order_by(ticket_types.c.created_at, ticket_types.c.id)
        )
        async with self._autocommit.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
            counts = await _holds_by_status(connection, tenant_id, [row["id"] for row in rows])
        return [_ticket_type(row, counts) for row in rows]

    async def _get(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> TicketHold | None:
        async with self._autocommit.connect() as connection:
            return await _hold(connection, tenant_id, hold_id)


class SqlTicketHolds:
    """``TicketHoldWriter`` on the payment transaction's connection (the local catalog
    shares the payments' database, so the holds move in the payment's commit)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def confirm(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        lost: list[uuid.UUID] = []
        for hold_id in _in_lock_order(hold_ids):
            if await _confirm_held(self._connection, tenant_id, hold_id):
                continue
            current = await _hold(self._connection, tenant_id, hold_id)
            if current is None or (
                current.status is HoldStatus.RELEASED
                and not await _retake(self._connection, current)
            ):
                lost.append(hold_id)
        return lost

    async def release(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> int:
        released = 0
        for hold_id in _in_lock_order(hold_ids):
            released += await _release(self._connection, tenant_id, hold_id)
        return released


_CONFIRM_HELD = raw.RawStatement(
    sa.update(ticket_holds)
    .where(
        ticket_holds.c.tenant_id == sa.bindparam("w_tenant_id"),
        ticket_holds.c.id == sa.bindparam("w_id"),
        ticket_holds.c.status == HoldStatus.HELD.value,
    )
    .values(status=HoldStatus.CONFIRMED.value, updated_at=sa.func.now())
)


async def _confirm_held(
    connection: AsyncConnection, tenant_id: uuid.UUID, hold_id: uuid.UUID
) -> bool:
    """Held -> confirmed (sold); False when it was not held. The ticket type's count is
    not touched: held and confirmed both count as taken."""
    moved = await (await raw.on(connection)).execute(
        _CONFIRM_HELD, {"w_tenant_id": tenant_id, "w_id": hold_id}
    )
    return moved == 1


def _in_lock_order(hold_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    # One order for every transaction that moves several holds, so two cannot deadlock.
    return sorted(set(hold_ids))


async def _claim_seats(
    connection: AsyncConnection,
    tenant_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
    hold_id: uuid.UUID,
    seats: Sequence[str],
) -> list[str]:
    """Claim the named seats for the hold; the ones someone else has, sorted."""
    if not seats:
        return []
    claimed = await connection.execute(
        insert(ticket_hold_seats)
        .values(
            [
                {
                    "tenant_id": tenant_id,
                    "ticket_type_id": ticket_type_id,
                    "seat_number": seat,
                    "hold_id": hold_id,
                }
                for seat in seats
            ]
        )
        .on_conflict_do_nothing()
        .returning(ticket_hold_seats.c.seat_number)
    )
    got = {row.seat_number for row in claimed}
    return sorted(set(seats) - got)


async def _retake(connection: AsyncConnection, hold: TicketHold) -> bool:
    """A released hold sold after all (its payment completed after it expired), if its
    tickets and seats are still free; nothing changes otherwise."""
    async with connection.begin_nested() as savepoint:
        taken = await connection.execute(
            sa.update(ticket_types)
            .where(
                ticket_types.c.tenant_id == hold.tenant_id,
                ticket_types.c.id == hold.ticket_type_id,
                ticket_types.c.taken + hold.quantity <= ticket_types.c.capacity,
            )
            .values(taken=ticket_types.c.taken + hold.quantity, updated_at=sa.func.now())
            .returning(ticket_types.c.id)
        )
        if taken.first() is None or await _claim_seats(
            connection, hold.tenant_id, hold.ticket_type_id, hold.id, hold.seat_numbers
        ):
            await savepoint.rollback()
            return False
        moved = await _move(
            connection, hold.tenant_id, hold.id, HoldStatus.RELEASED, HoldStatus.CONFIRMED
        )
        if moved is None:  # pragma: no cover - the payment's row lock serializes its holds
            await savepoint.rollback()
            return False
    return True


async def _hold(
    connection: AsyncConnection, tenant_id: uuid.UUID, hold_id: uuid.UUID
) -> TicketHold | None:
    row = (
        (
            await connection.execute(
                sa.select(ticket_holds).where(
                    ticket_holds.c.tenant_id == tenant_id, ticket_holds.c.id == hold_id
                )
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _to_hold(row)


async def _why_not(
    connection: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
) -> Exception:
    row = (
        await connection.execute(
            sa.select(ticket_types.c.capacity, ticket_types.c.taken).where(
                ticket_types.c.tenant_id == tenant_id,
                ticket_types.c.id == ticket_type_id,
                ticket_types.c.event_id == event_id,
            )
        )
    ).first()
    if row is None:
        return TicketTypeNotFoundError(
            f"event {event_id} has no ticket type {ticket_type_id}",
            details=(("ticketTypeId", "is not a ticket type of this event"),),
        )
    left = row.capacity - row.taken
    return SoldOutError(
        f"only {left} left of ticket type {ticket_type_id}",
        details=(("quantity", f"only {left} left"),),
    )


async def _move(
    connection: AsyncConnection,
    tenant_id: uuid.UUID,
    hold_id: uuid.UUID,
    source: HoldStatus,
    target: HoldStatus,
) -> TicketHold | None:
    row = (
        (
            await connection.execute(
                sa.update(ticket_holds)
                .where(
                    ticket_holds.c.tenant_id == tenant_id,
                    ticket_holds.c.id == hold_id,
                    ticket_holds.c.status == source.value,
                )
                .values(status=target.value, updated_at=sa.func.now())
                .returning(*ticket_holds.c)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _to_hold(row)


async def _give_back(connection: AsyncConnection, hold: TicketHold) -> None:
    await connection.execute(
        sa.update(ticket_types)
        .where(ticket_types.c.tenant_id == hold.tenant_id, ticket_types.c.id == hold.ticket_type_id)
        .values(taken=ticket_types.c.taken - hold.quantity, updated_at=sa.func.now())
    )


async def _release(connection: AsyncConnection, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
    """Held or confirmed -> released, the counts and the seats given back, once."""
    for source in (HoldStatus.HELD, HoldStatus.CONFIRMED):
        hold = await _move(connection, tenant_id, hold_id, source, HoldStatus.RELEASED)
        if hold is None:
            continue
        await _give_back(connection, hold)
        await connection.execute(
            sa.delete(ticket_hold_seats).where(
                ticket_hold_seats.c.tenant_id == tenant_id,
                ticket_hold_seats.c.hold_id == hold_id,
            )
        )
        return True
    return False


def _ticket_type(row: Any, counts: Mapping[uuid.UUID, Any] | None = None) -> TicketType:
    """The row as a record; with ``counts`` (``_HOLDS_BY_STATUS`` rows by type) it says
    what is held and what is sold too."""
    held: int | None = None
    sold: int | None = None
    if counts is not None:
        count = counts.get(row["id"])
        held, sold = (0, 0) if count is None else (int(count.held), int(count.sold))
    return TicketType(
        tenant_id=row["tenant_id"],
        id=row["id"],
        event_id=row["event_id"],
        name=row["name"],
        price=Money(int(row["price"]), currency_for(row["currency"])),
        capacity=int(row["capacity"]),
        taken=int(row["taken"]),
        held=held,
        sold=sold,
    )


async def _holds_by_status(
    connection: AsyncConnection, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = await connection.execute(_HOLDS_BY_STATUS, {"tenant_id": tenant_id, "ids": list(ids)})
    return {row.ticket_type_id: row for row in rows}


def _to_hold(row: Any) -> TicketHold:
    return TicketHold(
        tenant_id=row["tenant_id"],
        id=row["id"],
        ticket_type_id=row["ticket_type_id"],
        user_id=row["user_id"],
        quantity=int(row["quantity"]),
        seat_numbers=tuple(row["seat_numbers"]),
        status=HoldStatus(row["status"]),
        expires_at=row["expires_at"],
    )
