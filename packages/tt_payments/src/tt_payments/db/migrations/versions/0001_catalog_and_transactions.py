"""Venue and event projections, and payment transactions.

Every table carries tenant_id and every primary and unique key starts with it, so the
schema can be distributed by tenant (Citus) without changing keys. Amounts are BIGINT
minor units next to an ISO 4217 currency column (spec/NOTES.md item 5).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    ]


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("street", sa.Text),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("country", sa.String(2), nullable=False, server_default="US"),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("tier_override", sa.Text),
        sa.Column("platform_fee_bps_override", sa.Integer),
        sa.Column("royalty_venue_bps", sa.Integer, nullable=False, server_default="0"),
        sa.Column("royalty_artist_bps", sa.Integer, nullable=False, server_default="0"),
        sa.Column("royalty_artist_id", UUID(as_uuid=True)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="venues_pkey"),
        sa.CheckConstraint(
            "tier_override IN ('starter', 'pro', 'enterprise')", name="venues_tier_override_known"
        ),
        sa.CheckConstraint(
            "platform_fee_bps_override BETWEEN 0 AND 10000", name="venues_fee_override_bps_range"
        ),
        sa.CheckConstraint(
            "royalty_venue_bps >= 0 AND royalty_artist_bps >= 0"
            " AND royalty_venue_bps + royalty_artist_bps <= 10000",
            name="venues_royalty_bps_range",
        ),
    )

    op.create_table(
        "events",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="events_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "venue_id"], ["venues.tenant_id", "venues.id"], name="events_venue_fkey"
        ),
    )
    op.create_index("events_venue_idx", "events", ["tenant_id", "venue_id"])

    op.create_table(
        "payment_transactions",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("platform_fee", sa.BigInteger, nullable=False),
        sa.Column("venue_payout", sa.BigInteger, nullable=False),
        sa.Column("gas_fee_paid", sa.BigInteger),
        sa.Column("tax_amount", sa.BigInteger),
        sa.Column("stripe_payment_intent_id", sa.Text),
        sa.Column("device_fingerprint", sa.Text),
        sa.Column("payment_method_fingerprint", sa.Text),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("idempotency_key", UUID(as_uuid=True)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="payment_transactions_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="payment_transactions_idempotency_key_key"
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "stripe_payment_intent_id",
            name="payment_transactions_stripe_payment_intent_id_key",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed', 'cancelled',"
            " 'partially_refunded', 'refunded')",
            name="payment_transactions_status_known",
        ),
        sa.CheckConstraint(
            "amount >= 0 AND platform_fee >= 0 AND venue_payout >= 0"
            " AND coalesce(gas_fee_paid, 0) >= 0 AND coalesce(tax_amount, 0) >= 0",
            name="payment_transactions_amounts_non_negative",
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="payment_transactions_currency_iso"),
    )
    op.create_index(
        "payment_transactions_user_idx", "payment_transactions", ["tenant_id", "user_id"]
    )
    op.create_index(
        "payment_transactions_venue_volume_idx",
        "payment_transactions",
        ["tenant_id", "venue_id", "status", "created_at"],
    )
    op.create_index(
        "payment_transactions_event_idx", "payment_transactions", ["tenant_id", "event_id"]
    )
    op.create_index(
        "payment_transactions_status_idx", "payment_transactions", ["tenant_id", "status"]
    )
    op.create_index(
        "payment_transactions_device_idx",
        "payment_transactions",
        ["tenant_id", "device_fingerprint"],
    )
    op.create_index("payment_transactions_created_idx", "payment_transactions", ["created_at"])


def downgrade() -> None:
    op.drop_table("payment_transactions")
    op.drop_table("events")
    op.drop_table("venues")
