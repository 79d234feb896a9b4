"""High-demand events, purchase limits and waiting-room activity."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from tt_payments.db.metadata import metadata

event_high_demand = sa.Table(
    "event_high_demand",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("active_slots", sa.Integer, nullable=False),
    sa.Column("token_ttl_seconds", sa.Integer, nullable=False),
    sa.Column("heartbeat_seconds", sa.Integer, nullable=False),
    sa.Column("seed", BYTEA, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


event_purchase_limits = sa.Table(
    "event_purchase_limits",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("purchase_limit_per_user", sa.Integer, nullable=False),
    sa.Column("purchase_limit_per_payment_method", sa.Integer, nullable=False),
    sa.Column("purchase_limit_per_address", sa.Integer, nullable=False),
    sa.Column("max_tickets_per_order", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


waiting_room_activity = sa.Table(
    "waiting_room_activity",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)
