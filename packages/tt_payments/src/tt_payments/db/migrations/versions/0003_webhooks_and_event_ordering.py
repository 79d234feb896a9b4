"""Webhooks inbox, payment event ordering, and orders on payments.

webhook_inbox is keyed by (provider, webhook_id): a provider's event id is unique in the
provider's namespace, and a delivery must be deduplicated before we know (from its
verified payload) which tenant it belongs to. tenant_id is therefore a nullable column,
indexed, and this table is, with payment_state_machine and alembic_version, the third
documented exception to "tenant_id leads every key". Failed rows older than 7 days move
to webhook_inbox_archive.

payment_event_sequence numbers every provider event of a payment (unique per payment),
and keeps events the state machine cannot accept yet as ``held`` until it can.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def _inbox_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_message", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    ]


def upgrade() -> None:
    op.add_column("payment_transactions", sa.Column("order_id", UUID(as_uuid=True)))
    op.add_column(
        "payment_transactions",
        sa.Column("last_sequence_number", sa.BigInteger, nullable=False, server_default="0"),
    )
    # Internal callers and webhooks name a payment by its id or the processor's id alone.
    op.create_index("ix_payment_transactions_id", "payment_transactions", ["id"])
    op.create_index(
        "ix_payment_transactions_provider_payment",
        "payment_transactions",
        ["stripe_payment_intent_id"],
    )
    op.create_table(
        "webhook_inbox",
        *_inbox_columns(),
        sa.PrimaryKeyConstraint("provider", "webhook_id", name="webhook_inbox_pkey"),
        sa.CheckConstraint(
            "status IN ('pending', 'processed', 'failed')", name="ck_webhook_inbox_status"
        ),
    )
    op.create_index("ix_webhook_inbox_status", "webhook_inbox", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_inbox_received_at", "webhook_inbox", ["received_at"])
    op.create_index("ix_webhook_inbox_tenant", "webhook_inbox", ["tenant_id"])
    op.create_table(
        "webhook_inbox_archive",
        *_inbox_columns(),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("provider", "webhook_id", name="webhook_inbox_archive_pkey"),
    )
    op.create_table(
        "payment_event_sequence",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("order_id", UUID(as_uuid=True)),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("sequence_number", sa.BigInteger, nullable=False),
        sa.Column("event_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stripe_event_id", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="payment_event_sequence_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "payment_id", "sequence_number", name="uq_payment_event_sequence_number"
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "payment_id",
            "event_type",
            "idempotency_key",
            name="uq_payment_event_sequence_idempotency",
        ),
        sa.UniqueConstraint("tenant_id", "stripe_event_id", name="uq_payment_event_provider_id"),
        sa.CheckConstraint(
            "status IN ('held', 'applied', 'ignored')", name="ck_payment_event_sequence_status"
        ),
    )
    op.create_index(
        "ix_payment_event_sequence_held",
        "payment_event_sequence",
        ["status", "created_at"],
        postgresql_where=sa.text("status = 'held'"),
    )


def downgrade() -> None:
    op.drop_table("payment_event_sequence")
    op.drop_table("webhook_inbox_archive")
    op.drop_table("webhook_inbox")
    op.drop_index("ix_payment_transactions_provider_payment", "payment_transactions")
    op.drop_index("ix_payment_transactions_id", "payment_transactions")
    op.drop_column("payment_transactions", "last_sequence_number")
    op.drop_column("payment_transactions", "order_id")
