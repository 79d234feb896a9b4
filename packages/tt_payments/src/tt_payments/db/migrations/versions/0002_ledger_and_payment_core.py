"""Double-entry ledger and the payment core's tables.

Ledger: accounts (one per tenant, kind, owner and currency), immutable entries and
postings (signed minor units, debit positive). The database checks what the code checks:
a deferred constraint trigger refuses, at commit, any entry whose postings do not sum to
zero per currency or that has fewer than two; other triggers refuse UPDATE and DELETE of
entries and postings (a correction is a new entry). A posting's currency must be its
account's (composite foreign key). Balances are sums of postings; only the accounts whose
balance guards a limit (a venue's available and reserved funds) also keep a ``balance``
column, updated in the posting's transaction under a row lock, which ``tt ledger verify``
checks against the postings. Hot accounts (platform revenue, tax payable, processor
clearing) are never updated in place, so payments do not serialize on them.

Payment core: payment_intents, payment_refunds, payment_state_machine (reference data,
seeded here; like alembic_version it is not tenant data), payment_idempotency (scoped by
tenant + user + key), outbox, outbox_dlq and nft_mint_queue.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")
_STATUSES = (
    "pending",
    "processing",
    "requires_action",
    "completed",
    "failed",
    "cancelled",
    "partially_refunded",
    "refunded",
)
# The payment state machine (tt_ledger.PAYMENT_TRANSITIONS; a test keeps them equal).
_TRANSITIONS = [
    ("pending", "processing", "payment.processing"),
    ("pending", "requires_action", "payment.requires_action"),
    ("processing", "requires_action", "payment.requires_action"),
    ("requires_action", "processing", "payment.processing"),
    *[
        (source, "completed", "payment.succeeded")
        for source in ("pending", "processing", "requires_action")
    ],
    *[
        (source, "failed", "payment.failed")
        for source in ("pending", "processing", "requires_action")
    ],
    *[
        (source, "cancelled", "payment.canceled")
        for source in ("pending", "processing", "requires_action")
    ],
    ("completed", "partially_refunded", "refund.partial"),
    ("partially_refunded", "partially_refunded", "refund.partial"),
    ("completed", "refunded", "refund.completed"),
    ("partially_refunded", "refunded", "refund.completed"),
]


def _tenant_uuid(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def upgrade() -> None:
    _ledger()
    _payment_transactions()
    _payment_tables()
    _outbox_and_mints()


def _ledger() -> None:
    op.create_table(
        "ledger_accounts",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("id"),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="ledger_accounts_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "kind", "owner", "currency", name="ledger_accounts_identity_key"
        ),
        sa.UniqueConstraint("tenant_id", "id", "currency", name="ledger_accounts_currency_key"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ledger_accounts_currency_iso"),
    )
    op.create_table(
        "ledger_entries",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("id"),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("reference_type", sa.Text, nullable=False),
        _tenant_uuid("reference_id"),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="ledger_entries_pkey"),
        # One entry of a kind per thing it records: a retried capture cannot post twice.
        sa.UniqueConstraint(
            "tenant_id",
            "reference_type",
            "reference_id",
            "kind",
            name="ledger_entries_reference_key",
        ),
    )
    op.create_table(
        "ledger_postings",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("entry_id"),
        sa.Column("seq", sa.SmallInteger, nullable=False),
        _tenant_uuid("account_id"),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id", "seq", name="ledger_postings_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["ledger_entries.tenant_id", "ledger_entries.id"],
            name="ledger_postings_entry_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id", "currency"],
            ["ledger_accounts.tenant_id", "ledger_accounts.id", "ledger_accounts.currency"],
            name="ledger_postings_account_fkey",
        ),
        sa.CheckConstraint("amount <> 0", name="ledger_postings_amount_nonzero"),
    )
    op.create_index("ledger_postings_account_idx", "ledger_postings", ["tenant_id", "account_id"])
    op.execute(
        """
        CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            entry_tenant uuid := NEW.tenant_id;
            -- TG_ARGV[0] names the column holding the entry's id in this table.
            entry uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
            postings integer;
            unbalanced text;
        BEGIN
            SELECT count(*) INTO postings FROM ledger_postings
             WHERE tenant_id = entry_tenant AND entry_id = entry;
            IF postings < 2 THEN
                RAISE EXCEPTION 'ledger entry % has % posting(s); an entry needs at least two',
                    entry, postings USING ERRCODE = 'check_violation';
            END IF;
            SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced FROM (
                SELECT currency, sum(amount) AS total FROM ledger_postings
                 WHERE tenant_id = entry_tenant AND entry_id = entry
                 GROUP BY currency HAVING sum(amount) <> 0) AS off;
            IF unbalanced IS NOT NULL THEN
                RAISE EXCEPTION 'ledger entry % does not balance: %', entry, unbalanced
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$;

        CREATE CONSTRAINT TRIGGER ledger_entries_balanced
            AFTER INSERT ON ledger_entries DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced('id');
        CREATE CONSTRAINT TRIGGER ledger_postings_balanced
            AFTER INSERT ON ledger_postings DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced('entry_id');

        CREATE FUNCTION ledger_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: post a correcting entry instead', TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END $$;

        CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
        CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON ledger_postings
            FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
        CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
        CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
        """
    )


def _payment_transactions() -> None:
    op.drop_constraint("payment_transactions_status_known", "payment_transactions")
    op.create_check_constraint(
        "payment_transactions_status_known",
        "payment_transactions",
        "status IN (" + ", ".join(f"'{status}'" for status in _STATUSES) + ")",
    )
    # Idempotency is scoped by tenant + user + key (spec, NOTES item 9).
    op.drop_constraint("payment_transactions_idempotency_key_key", "payment_transactions")
    op.create_unique_constraint(
        "payment_transactions_idempotency_key_key",
        "payment_transactions",
        ["tenant_id", "user_id", "idempotency_key"],
    )
    for column in (
        sa.Column("total_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("refunded_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("processing_cost", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("provider", sa.Text, nullable=False, server_default="simulated"),
        sa.Column("payment_method_id", sa.Text),
        sa.Column("decline_code", sa.Text),
        sa.Column("failure_message", sa.Text),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("payment_transactions", column)
    op.create_check_constraint(
        "payment_transactions_refund_within_capture",
        "payment_transactions",
        "refunded_amount >= 0 AND refunded_amount <= total_amount",
    )
    op.create_check_constraint(
        "payment_transactions_totals_non_negative",
        "payment_transactions",
        "total_amount >= 0 AND processing_cost >= 0",
    )


def _payment_tables() -> None:
    op.create_table(
        "payment_intents",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("id"),
        _tenant_uuid("transaction_id"),
        _tenant_uuid("order_id", nullable=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("stripe_intent_id", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("platform_fee", sa.BigInteger, nullable=False),
        _tenant_uuid("venue_id"),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("last_sequence_number", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_event_timestamp", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="payment_intents_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "provider", "stripe_intent_id", name="payment_intents_provider_id_key"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["payment_transactions.tenant_id", "payment_transactions.id"],
            name="payment_intents_transaction_fkey",
        ),
        sa.CheckConstraint("amount >= 0 AND platform_fee >= 0", name="payment_intents_amounts"),
    )
    op.create_index(
        "payment_intents_transaction_idx", "payment_intents", ["tenant_id", "transaction_id"]
    )
    op.create_table(
        "payment_refunds",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("id"),
        _tenant_uuid("transaction_id"),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("stripe_refund_id", sa.Text),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _tenant_uuid("idempotency_key"),
        _tenant_uuid("requested_by"),
        sa.Column("failure_reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="payment_refunds_pkey"),
        sa.UniqueConstraint(
            "tenant_id", "requested_by", "idempotency_key", name="payment_refunds_idempotency_key"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["payment_transactions.tenant_id", "payment_transactions.id"],
            name="payment_refunds_transaction_fkey",
        ),
        sa.CheckConstraint("amount > 0", name="payment_refunds_amount_positive"),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')",
            name="payment_refunds_status_known",
        ),
    )
    op.create_index(
        "payment_refunds_transaction_idx", "payment_refunds", ["tenant_id", "transaction_id"]
    )
    state_machine = op.create_table(
        "payment_state_machine",
        sa.Column("from_state", sa.Text, nullable=False),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("is_valid", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint(
            "from_state", "to_state", "event_type", name="payment_state_machine_pkey"
        ),
    )
    op.bulk_insert(
        state_machine,
        [
            {"from_state": source, "to_state": target, "event_type": event, "is_valid": True}
            for source, target, event in _TRANSITIONS
        ],
    )
    op.create_table(
        "payment_idempotency",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("user_id"),
        _tenant_uuid("idempotency_key"),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("response_body", BYTEA),
        _tenant_uuid("resource_id", nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "idempotency_key", name="payment_idempotency_pkey"
        ),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed')", name="payment_idempotency_status_known"
        ),
        sa.CheckConstraint(
            "status = 'in_progress' OR (response_status IS NOT NULL AND response_body IS NOT NULL)",
            name="payment_idempotency_completed_has_response",
        ),
    )
    op.create_index("payment_idempotency_expires_idx", "payment_idempotency", ["expires_at"])


def _outbox_and_mints() -> None:
    op.create_table(
        "outbox",
        _tenant_uuid("tenant_id"),
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        _tenant_uuid("event_id"),
        _tenant_uuid("aggregate_id"),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW
        ),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="outbox_pkey"),
        sa.UniqueConstraint("tenant_id", "event_id", name="outbox_event_id_key"),
    )
    op.create_index(
        "outbox_unprocessed_idx",
        "outbox",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "outbox_dlq",
        _tenant_uuid("tenant_id"),
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("original_id", sa.BigInteger, nullable=False),
        _tenant_uuid("event_id"),
        _tenant_uuid("aggregate_id"),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "moved_to_dlq_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="outbox_dlq_pkey"),
    )
    op.create_table(
        "nft_mint_queue",
        _tenant_uuid("tenant_id"),
        _tenant_uuid("id"),
        _tenant_uuid("payment_id"),
        sa.Column("ticket_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        _tenant_uuid("venue_id"),
        _tenant_uuid("event_id"),
        sa.Column("blockchain", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("priority", sa.Text, nullable=False, server_default="standard"),
        sa.Column("transaction_hash", sa.Text),
        sa.Column("gas_fee_paid", sa.BigInteger),
        sa.Column("mint_batch_id", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_message", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="nft_mint_queue_pkey"),
        sa.UniqueConstraint("tenant_id", "payment_id", name="nft_mint_queue_payment_key"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["payment_transactions.tenant_id", "payment_transactions.id"],
            name="nft_mint_queue_payment_fkey",
        ),
        sa.CheckConstraint("blockchain IN ('solana', 'polygon')", name="nft_mint_queue_chain"),
        sa.CheckConstraint(
            "priority IN ('standard', 'high', 'urgent')", name="nft_mint_queue_priority"
        ),
    )
    op.create_index("nft_mint_queue_status_idx", "nft_mint_queue", ["status", "created_at"])


def downgrade() -> None:
    for table in (
        "nft_mint_queue",
        "outbox_dlq",
        "outbox",
        "payment_idempotency",
        "payment_state_machine",
        "payment_refunds",
        "payment_intents",
    ):
        op.drop_table(table)
    op.execute("DROP TABLE ledger_postings, ledger_entries, ledger_accounts")
    op.execute("DROP FUNCTION ledger_check_entry_balanced(), ledger_refuse_change()")
    for name in (
        "payment_transactions_refund_within_capture",
        "payment_transactions_totals_non_negative",
    ):
        op.drop_constraint(name, "payment_transactions")
    for column in (
        "total_amount",
        "refunded_amount",
        "processing_cost",
        "provider",
        "payment_method_id",
        "decline_code",
        "failure_message",
        "completed_at",
    ):
        op.drop_column("payment_transactions", column)
