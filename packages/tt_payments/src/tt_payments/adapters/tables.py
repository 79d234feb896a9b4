"""SQLAlchemy Core descriptions of the tables the queries use.

The schema itself is owned by the Alembic migrations in ``migrations/``; these
descriptions only need the columns the code reads and writes, and a test checks that
they agree with the migrated database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, INET, JSONB, UUID

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

ledger_accounts = sa.Table(
    "ledger_accounts",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reference_type", sa.Text, nullable=False),
    sa.Column("reference_id", UUID(as_uuid=True), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

ledger_postings = sa.Table(
    "ledger_postings",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("seq", sa.SmallInteger, primary_key=True),
    sa.Column("account_id", UUID(as_uuid=True), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
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

payment_idempotency = sa.Table(
    "payment_idempotency",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("idempotency_key", UUID(as_uuid=True), primary_key=True),
    sa.Column("operation", sa.Text, nullable=False),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("response_status", sa.Integer),
    sa.Column("response_body", BYTEA),
    sa.Column("resource_id", UUID(as_uuid=True)),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("aggregate_id", UUID(as_uuid=True), nullable=False),
    sa.Column("aggregate_type", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),
)

outbox_dlq = sa.Table(
    "outbox_dlq",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("original_id", sa.BigInteger, nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("aggregate_id", UUID(as_uuid=True), nullable=False),
    sa.Column("aggregate_type", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("moved_to_dlq_at", sa.DateTime(timezone=True), nullable=False),
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

reconciliation_findings = sa.Table(
    "reconciliation_findings",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_object_id", sa.Text, nullable=False),
    sa.Column("payment_id", UUID(as_uuid=True)),
    sa.Column("details", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
)


# --- fraud (migration 0006) ------------------------------------------------------------

fraud_checks = sa.Table(
    "fraud_checks",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("idempotency_key", UUID(as_uuid=True)),
    sa.Column("device_fingerprint", sa.Text),
    sa.Column("ip_address", INET),
    sa.Column("score", sa.Numeric(3, 2), nullable=False),
    sa.Column("signals", JSONB, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("rule", sa.Text),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)

device_activity = sa.Table(
    "device_activity",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("device_fingerprint", sa.Text, nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("activity_type", sa.Text, nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)

bot_detections = sa.Table(
    "bot_detections",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True)),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("is_bot", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.Numeric(3, 2), nullable=False),
    sa.Column("indicators", ARRAY(sa.Text), nullable=False),
    sa.Column("user_agent", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

known_scalpers = sa.Table(
    "known_scalpers",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True)),
    sa.Column("device_fingerprint", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("confidence_score", sa.Numeric(3, 2), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("added_by", UUID(as_uuid=True)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
)

fraud_policies = sa.Table(
    "fraud_policies",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("velocity", JSONB),
    sa.Column("rules", JSONB),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# --- high demand (migration 0006) ------------------------------------------------------

event_high_demand = sa.Table(
    "event_high_demand",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("active_slots", sa.Integer, nullable=False),
    sa.Column("token_ttl_seconds", sa.Integer, nullable=False),
    sa.Column("heartbeat_seconds", sa.Integer, nullable=False),
    sa.Column("seed", BYTEA, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

event_purchase_limits = sa.Table(
    "event_purchase_limits",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("purchase_limit_per_user", sa.Integer, nullable=False),
    sa.Column("purchase_limit_per_payment_method", sa.Integer, nullable=False),
    sa.Column("purchase_limit_per_address", sa.Integer, nullable=False),
    sa.Column("max_tickets_per_order", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

waiting_room_activity = sa.Table(
    "waiting_room_activity",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
)

# --- venue settlement (migration 0007) -------------------------------------------------

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

# --- venue payouts (migration 0008) ----------------------------------------------------

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

tax_collections = sa.Table(
    "tax_collections",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("payment_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("jurisdiction", sa.Text, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("taxable_amount", sa.BigInteger, nullable=False),
    sa.Column("state_tax", sa.BigInteger, nullable=False),
    sa.Column("local_tax", sa.BigInteger, nullable=False),
    sa.Column("special_tax", sa.BigInteger, nullable=False),
    sa.Column("total_tax", sa.BigInteger, nullable=False),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("tax_source", sa.Text, nullable=False),
    sa.Column("tax_date", sa.Date, nullable=False),
    sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
)

tax_collection_reversals = sa.Table(
    "tax_collection_reversals",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("refund_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("state_tax", sa.BigInteger, nullable=False),
    sa.Column("local_tax", sa.BigInteger, nullable=False),
    sa.Column("special_tax", sa.BigInteger, nullable=False),
    sa.Column("total_tax", sa.BigInteger, nullable=False),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=False),
)

tax_nexus_totals = sa.Table(
    "tax_nexus_totals",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("state", sa.String(2), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("sales_cents", sa.BigInteger, nullable=False),
    sa.Column("transactions", sa.BigInteger, nullable=False),
    sa.Column("crossed_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

tax_payees = sa.Table(
    "tax_payees",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("tin", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

tax_dispositions = sa.Table(
    "tax_dispositions",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("token_id", sa.Text, nullable=False),
    sa.Column("asset_code", sa.Text, nullable=False),
    sa.Column("asset_name", sa.Text, nullable=False),
    sa.Column("units", sa.Numeric, nullable=False),
    sa.Column("acquired_on", sa.Date),
    sa.Column("sold_on", sa.Date, nullable=False),
    sa.Column("gross_proceeds", sa.BigInteger, nullable=False),
    sa.Column("cost_basis", sa.BigInteger),
    sa.Column("primary_sale_proceeds", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

tax_forms_1099da = sa.Table(
    "tax_forms_1099da",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("tax_year", sa.Integer, nullable=False),
    sa.Column("form_data", JSONB, nullable=False),
    sa.Column("total_proceeds", sa.BigInteger, nullable=False),
    sa.Column("total_cost_basis", sa.BigInteger, nullable=False),
    sa.Column("transaction_count", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("pdf", BYTEA, nullable=False),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
