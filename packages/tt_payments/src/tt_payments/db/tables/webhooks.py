"""The webhook inbox and its archive."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tt_payments.db.metadata import metadata


def _inbox_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("provider", sa.Text, primary_key=True),
        sa.Column("webhook_id", sa.Text, primary_key=True),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error_message", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


webhook_inbox = sa.Table("webhook_inbox", metadata, *_inbox_columns())


webhook_inbox_archive = sa.Table(
    "webhook_inbox_archive",
    metadata,
    *_inbox_columns(),
    sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
)
