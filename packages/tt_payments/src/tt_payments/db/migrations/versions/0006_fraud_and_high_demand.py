"""Fraud checks, device history, bot detections, known scalpers, fraud policies; the
high-demand settings of an event, its purchase limits and its waiting-room activity.

Tables follow the spec's "Fraud Detection Tables" and "High-Demand Event Tables", with
``tenant_id`` leading every key (DESIGN.md). Scores are NUMERIC(3,2) in [0, 1].

``payment_transactions`` gains ``ticket_count`` (the purchase limits count tickets, not
payments, and must not parse JSON under a lock) and ``address_fingerprint`` (a hash of
the buyer's billing address, for the per-address limit); existing rows get their ticket
count from their metadata.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _created(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def _score(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(3, 2), nullable=False)


def upgrade() -> None:
    op.create_table(
        "fraud_checks",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column("idempotency_key", UUID(as_uuid=True)),
        sa.Column("device_fingerprint", sa.Text),
        sa.Column("ip_address", INET),
        _score("score"),
        sa.Column("signals", JSONB, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("rule", sa.Text),
        _created("timestamp"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="fraud_checks_pkey"),
        sa.CheckConstraint(
            "decision IN ('approve', 'review', 'challenge', 'decline')",
            name="ck_fraud_checks_decision",
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 1", name="ck_fraud_checks_score"),
    )
    op.create_index("ix_fraud_checks_time", "fraud_checks", ["tenant_id", "timestamp"])
    op.create_index("ix_fraud_checks_user", "fraud_checks", ["tenant_id", "user_id", "timestamp"])

    op.create_table(
        "device_activity",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("device_fingerprint", sa.Text, nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("activity_type", sa.Text, nullable=False),
        sa.Column("metadata", JSONB, nullable=False),
        _created("timestamp"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="device_activity_pkey"),
    )
    op.create_index(
        "ix_device_activity_device",
        "device_activity",
        ["tenant_id", "device_fingerprint", "timestamp"],
    )
    op.create_index(
        "ix_device_activity_user", "device_activity", ["tenant_id", "user_id", "timestamp"]
    )

    op.create_table(
        "bot_detections",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True)),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("is_bot", sa.Boolean, nullable=False),
        _score("confidence"),
        sa.Column("indicators", ARRAY(sa.Text), nullable=False),
        sa.Column("user_agent", sa.Text),
        _created(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="bot_detections_pkey"),
    )
    op.create_index("ix_bot_detections_user", "bot_detections", ["tenant_id", "user_id"])

    op.create_table(
        "known_scalpers",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True)),
        sa.Column("device_fingerprint", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        _score("confidence_score"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("added_by", UUID(as_uuid=True)),
        _created("added_at"),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="known_scalpers_pkey"),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR device_fingerprint IS NOT NULL",
            name="ck_known_scalpers_names_someone",
        ),
    )
    # One active entry per person and per device: adding twice updates, never duplicates.
    op.create_index(
        "uq_known_scalpers_active_user",
        "known_scalpers",
        ["tenant_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("active AND user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_known_scalpers_active_device",
        "known_scalpers",
        ["tenant_id", "device_fingerprint"],
        unique=True,
        postgresql_where=sa.text("active AND device_fingerprint IS NOT NULL AND user_id IS NULL"),
    )

    op.create_table(
        "fraud_policies",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        # The nil UUID holds the tenant's own policy; an event's overrides it.
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("velocity", JSONB),
        sa.Column("rules", JSONB),
        _created(),
        _created("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="fraud_policies_pkey"),
    )

    op.create_table(
        "event_high_demand",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_slots", sa.Integer, nullable=False),
        sa.Column("token_ttl_seconds", sa.Integer, nullable=False),
        sa.Column("heartbeat_seconds", sa.Integer, nullable=False),
        # Secret until the on-sale; its SHA-256 is published before.
        sa.Column("seed", sa.LargeBinary, nullable=False),
        _created(),
        _created("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="event_high_demand_pkey"),
        sa.CheckConstraint("active_slots >= 1", name="ck_event_high_demand_slots"),
        sa.CheckConstraint(
            "token_ttl_seconds BETWEEN 60 AND 3600", name="ck_event_high_demand_ttl"
        ),
        sa.CheckConstraint("octet_length(seed) = 32", name="ck_event_high_demand_seed"),
    )

    op.create_table(
        "event_purchase_limits",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("purchase_limit_per_user", sa.Integer, nullable=False, server_default="4"),
        sa.Column(
            "purchase_limit_per_payment_method", sa.Integer, nullable=False, server_default="4"
        ),
        sa.Column("purchase_limit_per_address", sa.Integer, nullable=False, server_default="8"),
        sa.Column("max_tickets_per_order", sa.Integer, nullable=False, server_default="4"),
        _created(),
        _created("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="event_purchase_limits_pkey"),
        sa.CheckConstraint(
            "purchase_limit_per_user >= 1 AND purchase_limit_per_payment_method >= 1"
            " AND purchase_limit_per_address >= 1 AND max_tickets_per_order >= 1",
            name="ck_event_purchase_limits_positive",
        ),
    )

    op.create_table(
        "waiting_room_activity",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("metadata", JSONB, nullable=False),
        _created("timestamp"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="waiting_room_activity_pkey"),
    )
    op.create_index(
        "ix_waiting_room_activity_event",
        "waiting_room_activity",
        ["tenant_id", "event_id", "timestamp"],
    )

    op.add_column("payment_transactions", sa.Column("ticket_count", sa.Integer))
    op.add_column("payment_transactions", sa.Column("address_fingerprint", sa.Text))
    op.execute(
        """
        UPDATE payment_transactions SET ticket_count = (
            SELECT coalesce(sum((line->>'quantity')::int), 0)
            FROM jsonb_array_elements(metadata->'tickets') AS line
        )
        """
    )
    op.alter_column("payment_transactions", "ticket_count", nullable=False, server_default="0")
    # The purchase limits count one event's tickets by buyer, by card and by address,
    # under a lock, on every purchase: each count must be an index range, not a scan.
    for name, column in (
        ("ix_payment_transactions_event_user", "user_id"),
        ("ix_payment_transactions_event_method", "payment_method_id"),
        ("ix_payment_transactions_event_address", "address_fingerprint"),
    ):
        op.create_index(name, "payment_transactions", ["tenant_id", "event_id", column])


def downgrade() -> None:
    for name in (
        "ix_payment_transactions_event_user",
        "ix_payment_transactions_event_method",
        "ix_payment_transactions_event_address",
    ):
        op.drop_index(name, table_name="payment_transactions")
    op.drop_column("payment_transactions", "address_fingerprint")
    op.drop_column("payment_transactions", "ticket_count")
    for table in (
        "waiting_room_activity",
        "event_purchase_limits",
        "event_high_demand",
        "fraud_policies",
        "known_scalpers",
        "bot_detections",
        "device_activity",
        "fraud_checks",
    ):
        op.drop_table(table)
