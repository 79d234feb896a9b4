"""Venue payouts and where each venue is paid.

``venue_payouts``: one row per payout, with its fee and net, its state (pending,
in_transit, paid, failed, canceled) and the processor's id; unique per requester and
Idempotency-Key. ``venue_payout_settings``: the venue's payout destination (a Stripe
Connect account) and the balance above which ``tt payouts run`` pays it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATUSES = ("pending", "in_transit", "paid", "failed", "canceled")


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "venue_payouts",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
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
        _now("created_at"),
        _now("updated_at"),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="venue_payouts_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "requested_by", "idempotency_key", name="uq_venue_payouts_idempotency"
        ),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in _STATUSES) + ")",
            name="ck_venue_payouts_status",
        ),
        sa.CheckConstraint("method IN ('standard', 'instant')", name="ck_venue_payouts_method"),
        sa.CheckConstraint(
            "amount > 0 AND fee >= 0 AND net > 0 AND net = amount - fee",
            name="ck_venue_payouts_amounts",
        ),
    )
    op.create_index(
        "ix_venue_payouts_venue", "venue_payouts", ["tenant_id", "venue_id", "created_at"]
    )
    op.create_index(
        "ix_venue_payouts_open",
        "venue_payouts",
        ["status", "updated_at"],
        postgresql_where=sa.text("status IN ('pending', 'in_transit')"),
    )
    op.create_table(
        "venue_payout_settings",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("threshold", sa.BigInteger, nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "venue_id", name="venue_payout_settings_pkey"),
        sa.CheckConstraint("threshold >= 0", name="ck_venue_payout_settings_threshold"),
    )


def downgrade() -> None:
    op.drop_table("venue_payout_settings")
    op.drop_table("venue_payouts")
