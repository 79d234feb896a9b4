"""The local ticket catalog: ticket types with their verified price and capacity, and the
holds buyers take on them while they pay.

``ticket_types``: one row per ticket type of an event, its price in integer minor units and
its capacity; ``held`` and ``sold`` count the tickets in open holds and in confirmed ones,
kept next to the holds and guarded by the database (never below zero, never together
past the capacity), so concurrent buyers can never take more than there is.
``ticket_holds``: one row per buyer's hold on one ticket type (quantity, named seats,
until when), ``held`` until confirmed by a completed payment or released (a failed,
refused, expired or refunded one). Seat numbers are unique per ticket type among holds
that are not released.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "ticket_types",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("held", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sold", sa.Integer, nullable=False, server_default="0"),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="ticket_types_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["events.tenant_id", "events.id"],
            name="fk_ticket_types_event",
        ),
        sa.CheckConstraint("price >= 0", name="ck_ticket_types_price_non_negative"),
        sa.CheckConstraint("capacity >= 0", name="ck_ticket_types_capacity_non_negative"),
        sa.CheckConstraint("held >= 0", name="ck_ticket_types_held_non_negative"),
        sa.CheckConstraint("sold >= 0", name="ck_ticket_types_sold_non_negative"),
        sa.CheckConstraint("held + sold <= capacity", name="ck_ticket_types_within_capacity"),
    )
    op.create_index("ix_ticket_types_event", "ticket_types", ["tenant_id", "event_id"])
    op.create_table(
        "ticket_holds",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("ticket_type_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("seat_numbers", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="ticket_holds_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_type_id"],
            ["ticket_types.tenant_id", "ticket_types.id"],
            name="fk_ticket_holds_ticket_type",
        ),
        sa.CheckConstraint("quantity > 0", name="ck_ticket_holds_quantity_positive"),
        sa.CheckConstraint(
            "status IN ('held', 'confirmed', 'released')", name="ck_ticket_holds_status"
        ),
    )
    op.create_index(
        "ix_ticket_holds_expiry",
        "ticket_holds",
        ["expires_at"],
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_table(
        "ticket_hold_seats",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ticket_type_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_number", sa.Text, nullable=False),
        sa.Column("hold_id", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "ticket_type_id", "seat_number", name="ticket_hold_seats_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "hold_id"],
            ["ticket_holds.tenant_id", "ticket_holds.id"],
            name="fk_ticket_hold_seats_hold",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("ticket_hold_seats")
    op.drop_index("ix_ticket_holds_expiry", table_name="ticket_holds")
    op.drop_table("ticket_holds")
    op.drop_index("ix_ticket_types_event", table_name="ticket_types")
    op.drop_table("ticket_types")
