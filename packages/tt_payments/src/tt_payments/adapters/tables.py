"""SQLAlchemy Core descriptions of the tables the queries use.

The schema itself is owned by the Alembic migrations in ``migrations/``; these
descriptions only need the columns the code reads and writes, and a test checks that
they agree with the migrated database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = sa.MetaData()

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("street", sa.Text),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("zip", sa.String(10), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("tier_override", sa.Text),
    sa.Column("platform_fee_bps_override", sa.Integer),
    sa.Column("royalty_venue_bps", sa.Integer, nullable=False),
    sa.Column("royalty_artist_bps", sa.Integer, nullable=False),
    sa.Column("royalty_artist_id", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

payment_transactions = sa.Table(
    "payment_transactions",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("platform_fee", sa.BigInteger, nullable=False),
    sa.Column("venue_payout", sa.BigInteger, nullable=False),
    sa.Column("gas_fee_paid", sa.BigInteger),
    sa.Column("tax_amount", sa.BigInteger),
    sa.Column("stripe_payment_intent_id", sa.Text),
    sa.Column("device_fingerprint", sa.Text),
    sa.Column("payment_method_fingerprint", sa.Text),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("idempotency_key", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
