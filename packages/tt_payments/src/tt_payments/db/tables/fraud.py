"""Fraud checks, device activity, bot detections, known scalpers, policies."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID

from tt_payments.db.metadata import metadata

fraud_checks = sa.Table(
    "fraud_checks",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("idempotency_key", UUID(as_uuid=True)),
    sa.Column("device_fingerprint", sa.Text),
    sa.Column("ip_address", INET),
    sa.Column("score", sa.Numeric(3, 2), nullable=False),
    sa.Column("signals", JSONB, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("rule", sa.Text),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)


device_activity = sa.Table(
    "device_activity",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("device_fingerprint", sa.Text, nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("activity_type", sa.Text, nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)


bot_detections = sa.Table(
    "bot_detections",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True)),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("is_bot", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.Numeric(3, 2), nullable=False),
    sa.Column("indicators", ARRAY(sa.Text), nullable=False),
    sa.Column("user_agent", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


known_scalpers = sa.Table(
    "known_scalpers",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True)),
    sa.Column("device_fingerprint", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("confidence_score", sa.Numeric(3, 2), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("added_by", UUID(as_uuid=True)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
)


fraud_policies = sa.Table(
    "fraud_policies",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("velocity", JSONB),
    sa.Column("rules", JSONB),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
