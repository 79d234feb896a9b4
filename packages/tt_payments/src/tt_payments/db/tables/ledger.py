"""The double-entry ledger: accounts, entries, postings."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from tt_payments.db.metadata import metadata

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
