"""Idempotency records of the HTTP API."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, UUID

from tt_payments.db.metadata import metadata

payment_idempotency = sa.Table(
    "payment_idempotency",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("idempotency_key", UUID(as_uuid=True), primary_key=True),
    sa.Column("operation", sa.Text, nullable=False),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("response_status", sa.Integer),
    sa.Column("response_body", BYTEA),
    sa.Column("resource_id", UUID(as_uuid=True)),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
