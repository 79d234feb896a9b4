"""Venue settlement: each sale's move from pending to available (and its rolling reserve),
and each venue's settlement policy.

``venue_sale_settlements`` has one row per settled sale, written in the same transaction
as its journal entry; the row is the proof a sale was settled (a rerun skips it) and
holds the reserve until its release. ``venue_settlement_policies`` overrides the
defaults (two days after the event starts, 5 % reserve held 90 days) per venue.

The spec's ``venue_balances`` table (a row per venue and balance type) is not built: the
balances are the venue's ledger accounts, kept current for available and reserved
(ledger_accounts.balance) and summed from postings for pending.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "venue_sale_settlements",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("transaction_id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("settled_amount", sa.BigInteger, nullable=False),
        sa.Column("reserve_amount", sa.BigInteger, nullable=False),
        sa.Column("reserve_bps", sa.Integer, nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserve_released_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "transaction_id", name="venue_sale_settlements_pkey"),
        sa.CheckConstraint(
            "settled_amount >= 0 AND reserve_amount >= 0 AND reserve_amount <= settled_amount",
            name="ck_venue_sale_settlements_amounts",
        ),
    )
    op.create_index(
        "ix_venue_sale_settlements_reserves",
        "venue_sale_settlements",
        ["tenant_id", "venue_id", "settled_at"],
        postgresql_where=sa.text("reserve_released_at IS NULL AND reserve_amount > 0"),
    )
    op.create_table(
        "venue_settlement_policies",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("delay_days", sa.Integer, nullable=False),
        sa.Column("reserve_bps", sa.Integer, nullable=False),
        sa.Column("reserve_hold_days", sa.Integer, nullable=False),
        sa.Column("dispute_reserve_bps", sa.Integer, nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "venue_id", name="venue_settlement_policies_pkey"),
        sa.CheckConstraint(
            "delay_days BETWEEN 0 AND 365 AND reserve_hold_days BETWEEN 0 AND 730"
            " AND reserve_bps BETWEEN 0 AND 10000 AND dispute_reserve_bps BETWEEN 0 AND 10000",
            name="ck_venue_settlement_policies_ranges",
        ),
    )


def downgrade() -> None:
    op.drop_table("venue_settlement_policies")
    op.drop_table("venue_sale_settlements")
