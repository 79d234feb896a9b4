"""Event subscribers: the platform's services and partners that receive our events as
signed HTTP POSTs, and one delivery row per event per subscriber.

``event_subscribers``: per tenant, a URL, the event types it wants (empty: every type) and
the HMAC secret its deliveries are signed with. ``event_deliveries``: written in the same
statement as the outbox row (so in the business change's own transaction), with the
event's envelope; ``pending`` until the subscriber answers 2xx (``delivered``) or the
attempts run out (``dead``, until redriven). Deliveries with one ``ordering_key`` (the
payment an event is about, else its aggregate) go to one subscriber in outbox order: one
is sent only when no earlier one with the same key is still pending or dead.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "event_subscribers",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("secret", sa.Text, nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="event_subscribers_pkey"),
        sa.CheckConstraint("url ~ '^https?://'", name="ck_event_subscribers_url_is_http"),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("subscriber_id", UUID(as_uuid=True), nullable=False),
        sa.Column("outbox_id", sa.BigInteger, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ordering_key", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        _now("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="event_deliveries_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "subscriber_id", "event_id", name="uq_event_deliveries_event"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscriber_id"],
            ["event_subscribers.tenant_id", "event_subscribers.id"],
            name="fk_event_deliveries_subscriber",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')", name="ck_event_deliveries_status"
        ),
    )
    op.create_index(
        "ix_event_deliveries_due",
        "event_deliveries",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_event_deliveries_order",
        "event_deliveries",
        ["tenant_id", "subscriber_id", "ordering_key", "outbox_id"],
        postgresql_where=sa.text("status <> 'delivered'"),
    )


def downgrade() -> None:
    op.drop_index("ix_event_deliveries_order", table_name="event_deliveries")
    op.drop_index("ix_event_deliveries_due", table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_table("event_subscribers")
