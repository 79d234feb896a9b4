"""Reconciliation findings: differences with the processor that need a person.

One row per tenant, kind and processor object (a rerun finds the same difference again
and changes nothing). Differences of an unknown tenant (a processor object without our
metadata) are filed under the nil tenant.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_findings",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("provider_object_id", sa.Text, nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True)),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="reconciliation_findings_pkey"),
        sa.UniqueConstraint(
            "tenant_id",
            "kind",
            "provider",
            "provider_object_id",
            name="uq_reconciliation_findings_object",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'resolved')", name="ck_reconciliation_findings_status"
        ),
    )


def downgrade() -> None:
    op.drop_table("reconciliation_findings")
