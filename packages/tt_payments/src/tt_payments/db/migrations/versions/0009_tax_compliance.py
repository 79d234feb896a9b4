"""Tax compliance: collected sales tax, its reversals, nexus totals and Form 1099-DA.

``tax_collections``: one row per paid payment (written with its settlement) holding the tax
lines as JSONB and their sums per layer. ``tax_collection_reversals``: one row per
completed refund of such a payment (written with the refund's completion), the tax it gave
back per line, as the refund's journal entry took it from each tax payable account; the
tax still held for a payment is its collection minus its reversals. Amounts in both are
non-negative cents. ``tax_nexus_totals``: gross taxable sales and their count per state
and calendar year, and when the state's economic-nexus threshold was first met.
``tax_payees``: the name, TIN and address a user's Form 1099-DA is made out to.
``tax_dispositions``: sales of ticket NFTs (boxes 1a-1g, 11c), entered by the service
layer until the marketplace records them. ``tax_forms_1099da``: the form of a user for a
tax year (JSON with the TIN masked, and the PDF as generated), unique per user and year.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TAX_AMOUNTS = ("state_tax", "local_tax", "special_tax", "total_tax")


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def _cents(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger, nullable=nullable)


def _non_negative(table: str, *columns: str) -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(f"{column} >= 0", name=f"ck_{table}_{column}_non_negative")
        for column in columns
    ]


def _layers_add_up(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "total_tax = state_tax + local_tax + special_tax", name=f"ck_{table}_total"
    )


def upgrade() -> None:
    op.create_table(
        "tax_collections",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("jurisdiction", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _cents("taxable_amount"),
        *(_cents(name) for name in _TAX_AMOUNTS),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("tax_source", sa.Text, nullable=False),
        sa.Column("tax_date", sa.Date, nullable=False),
        _now("collected_at"),
        sa.PrimaryKeyConstraint("tenant_id", "payment_id", name="tax_collections_pkey"),
        *_non_negative("tax_collections", "taxable_amount", *_TAX_AMOUNTS),
        _layers_add_up("tax_collections"),
    )
    op.create_index(
        "ix_tax_collections_state_date", "tax_collections", ["tenant_id", "state", "tax_date"]
    )
    op.create_table(
        "tax_collection_reversals",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("refund_id", UUID(as_uuid=True), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *(_cents(name) for name in _TAX_AMOUNTS),
        sa.Column("lines", JSONB, nullable=False),
        _now("reversed_at"),
        sa.PrimaryKeyConstraint("tenant_id", "refund_id", name="tax_collection_reversals_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["tax_collections.tenant_id", "tax_collections.payment_id"],
            name="fk_tax_collection_reversals_collection",
        ),
        *_non_negative("tax_collection_reversals", *_TAX_AMOUNTS),
        _layers_add_up("tax_collection_reversals"),
    )
    op.create_index(
        "ix_tax_collection_reversals_payment",
        "tax_collection_reversals",
        ["tenant_id", "payment_id"],
    )
    op.create_table(
        "tax_nexus_totals",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        _cents("sales_cents"),
        sa.Column("transactions", sa.BigInteger, nullable=False),
        sa.Column("crossed_at", sa.DateTime(timezone=True)),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "state", "year", name="tax_nexus_totals_pkey"),
        *_non_negative("tax_nexus_totals", "sales_cents", "transactions"),
    )
    op.create_table(
        "tax_payees",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("tin", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="tax_payees_pkey"),
    )
    op.create_table(
        "tax_dispositions",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("asset_code", sa.Text, nullable=False),
        sa.Column("asset_name", sa.Text, nullable=False),
        sa.Column("units", sa.Numeric, nullable=False),
        sa.Column("acquired_on", sa.Date),
        sa.Column("sold_on", sa.Date, nullable=False),
        _cents("gross_proceeds"),
        _cents("cost_basis", nullable=True),
        _cents("primary_sale_proceeds", nullable=True),
        _now("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="tax_dispositions_pkey"),
        *_non_negative("tax_dispositions", "gross_proceeds", "cost_basis", "primary_sale_proceeds"),
        sa.CheckConstraint("units > 0", name="ck_tax_dispositions_units_positive"),
    )
    op.create_index(
        "ix_tax_dispositions_user_sold", "tax_dispositions", ["tenant_id", "user_id", "sold_on"]
    )
    op.create_table(
        "tax_forms_1099da",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tax_year", sa.Integer, nullable=False),
        sa.Column("form_data", JSONB, nullable=False),
        _cents("total_proceeds"),
        _cents("total_cost_basis"),
        sa.Column("transaction_count", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="generated"),
        sa.Column("pdf", BYTEA, nullable=False),
        _now("generated_at"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="tax_forms_1099da_pkey"),
        sa.UniqueConstraint("tenant_id", "user_id", "tax_year", name="uq_tax_forms_1099da_year"),
        *_non_negative("tax_forms_1099da", "total_proceeds", "total_cost_basis"),
    )


def downgrade() -> None:
    op.drop_table("tax_forms_1099da")
    op.drop_index("ix_tax_dispositions_user_sold", table_name="tax_dispositions")
    op.drop_table("tax_dispositions")
    op.drop_table("tax_payees")
    op.drop_table("tax_nexus_totals")
    op.drop_index("ix_tax_collection_reversals_payment", table_name="tax_collection_reversals")
    op.drop_table("tax_collection_reversals")
    op.drop_index("ix_tax_collections_state_date", table_name="tax_collections")
    op.drop_table("tax_collections")
