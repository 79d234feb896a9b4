"""Tax collections, their reversals, nexus totals, payees and dispositions (Form 1099-DA)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from tt_payments.db.metadata import metadata

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
