"""Postings can be added to an entry only in the transaction that created it.

The triggers of 0002 refuse UPDATE and DELETE, and check at commit that each entry
balances; but a later transaction could still INSERT another balanced pair of postings
into a committed entry, changing what it says. Each entry now records the (top-level)
transaction that created it, and a posting for an entry created by another transaction
is refused.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ledger_entries",
        sa.Column(
            "created_xact",
            sa.BigInteger,
            nullable=False,
            server_default=sa.text("(pg_current_xact_id()::text::bigint)"),
        ),
    )
    op.execute(
        """
        CREATE FUNCTION ledger_postings_with_their_entry() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (
                SELECT 1 FROM ledger_entries e
                WHERE e.tenant_id = NEW.tenant_id AND e.id = NEW.entry_id
                  AND e.created_xact = pg_current_xact_id()::text::bigint
            ) THEN
                RAISE EXCEPTION
                    'ledger entry % was written by another transaction: post a new entry',
                    NEW.entry_id USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_postings_with_their_entry BEFORE INSERT ON ledger_postings"
        " FOR EACH ROW EXECUTE FUNCTION ledger_postings_with_their_entry()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_postings_with_their_entry ON ledger_postings")
    op.execute("DROP FUNCTION ledger_postings_with_their_entry()")
    op.drop_column("ledger_entries", "created_xact")
