"""When venue sales settle, and each venue's settlement policy."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from tt_payments.db.metadata import metadata

venue_sale_settlements = sa.Table(
    "venue_sale_settlements",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("transaction_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("settled_amount", sa.BigInteger, nullable=False),
    sa.Column("reserve_amount", sa.BigInteger, nullable=False),
    sa.Column("reserve_bps", sa.Integer, nullable=False),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reserve_released_at", sa.DateTime(timezone=True)),
)


venue_settlement_policies = sa.Table(
    "venue_settlement_policies",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("delay_days", sa.Integer, nullable=False),
    sa.Column("reserve_bps", sa.Integer, nullable=False),
    sa.Column("reserve_hold_days", sa.Integer, nullable=False),
    sa.Column("dispute_reserve_bps", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
