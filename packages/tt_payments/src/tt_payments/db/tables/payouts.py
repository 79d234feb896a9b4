"""Venue payouts and each venue's payout destination."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from tt_payments.db.metadata import metadata

venue_payouts = sa.Table(
    "venue_payouts",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("fee", sa.BigInteger, nullable=False),
    sa.Column("net", sa.BigInteger, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_payout_id", sa.Text),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("requested_by", UUID(as_uuid=True), nullable=False),
    sa.Column("idempotency_key", UUID(as_uuid=True)),
    sa.Column("arrival_earliest", sa.DateTime(timezone=True), nullable=False),
    sa.Column("arrival_latest", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failure_code", sa.Text),
    sa.Column("failure_message", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True)),
)


venue_payout_settings = sa.Table(
    "venue_payout_settings",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("threshold", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
