"""Payments, their intents and refunds, the state machine's table, the ordered provider
events and the mint queue."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from tt_payments.db.metadata import metadata

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
    sa.Column("total_amount", sa.BigInteger, nullable=False),
    sa.Column("refunded_amount", sa.BigInteger, nullable=False),
    sa.Column("processing_cost", sa.BigInteger, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("payment_method_id", sa.Text),
    sa.Column("decline_code", sa.Text),
    sa.Column("failure_message", sa.Text),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("order_id", UUID(as_uuid=True)),
    sa.Column("last_sequence_number", sa.BigInteger, nullable=False),
    sa.Column("ticket_count", sa.Integer, nullable=False),
    sa.Column("address_fingerprint", sa.Text),
)


payment_intents = sa.Table(
    "payment_intents",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("transaction_id", UUID(as_uuid=True), nullable=False),
    sa.Column("order_id", UUID(as_uuid=True)),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("stripe_intent_id", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("platform_fee", sa.BigInteger, nullable=False),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("last_sequence_number", sa.BigInteger, nullable=False),
    sa.Column("last_event_timestamp", sa.DateTime(timezone=True)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


payment_refunds = sa.Table(
    "payment_refunds",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("transaction_id", UUID(as_uuid=True), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("stripe_refund_id", sa.Text),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("idempotency_key", UUID(as_uuid=True), nullable=False),
    sa.Column("requested_by", UUID(as_uuid=True), nullable=False),
    sa.Column("failure_reason", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


payment_state_machine = sa.Table(
    "payment_state_machine",
    metadata,
    sa.Column("from_state", sa.Text, primary_key=True),
    sa.Column("to_state", sa.Text, primary_key=True),
    sa.Column("event_type", sa.Text, primary_key=True),
    sa.Column("is_valid", sa.Boolean, nullable=False),
)


nft_mint_queue = sa.Table(
    "nft_mint_queue",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
    sa.Column("ticket_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("blockchain", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("transaction_hash", sa.Text),
    sa.Column("gas_fee_paid", sa.BigInteger),
    sa.Column("mint_batch_id", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error_message", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


payment_event_sequence = sa.Table(
    "payment_event_sequence",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
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
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
