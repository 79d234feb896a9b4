"""Ticket types count one number, ``taken``: tickets in open or confirmed holds.

``held`` and ``sold`` were two counters on the ticket type's row, and a completed payment
moved its tickets from one to the other inside the payment's transaction: every payment of
an on-sale locked the one row of its ticket type until its commit, so buyers of one ticket
type paid one after another (issue 14: that lock was most of a payment's latency). The
capacity needs only their sum, which confirming a hold does not change. So the row keeps
``taken`` (moved by a hold, a release and a late retake, each in a short transaction), and
what is held and what is sold are counted from the holds when an admin asks, through
``ix_ticket_holds_type_status``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ticket_types", sa.Column("taken", sa.Integer, nullable=False, server_default="0")
    )
    op.execute("UPDATE ticket_types SET taken = held + sold")
    op.drop_constraint("ck_ticket_types_within_capacity", "ticket_types", type_="check")
    op.drop_constraint("ck_ticket_types_held_non_negative", "ticket_types", type_="check")
    op.drop_constraint("ck_ticket_types_sold_non_negative", "ticket_types", type_="check")
    op.drop_column("ticket_types", "held")
    op.drop_column("ticket_types", "sold")
    op.create_check_constraint("ck_ticket_types_taken_non_negative", "ticket_types", "taken >= 0")
    op.create_check_constraint(
        "ck_ticket_types_within_capacity", "ticket_types", "taken <= capacity"
    )
    op.create_index(
        "ix_ticket_holds_type_status",
        "ticket_holds",
        ["tenant_id", "ticket_type_id", "status"],
        postgresql_include=["quantity"],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_holds_type_status", table_name="ticket_holds")
    op.drop_constraint("ck_ticket_types_within_capacity", "ticket_types", type_="check")
    op.drop_constraint("ck_ticket_types_taken_non_negative", "ticket_types", type_="check")
    for name in ("held", "sold"):
        op.add_column(
            "ticket_types", sa.Column(name, sa.Integer, nullable=False, server_default="0")
        )
    op.execute(
        """
        UPDATE ticket_types AS t SET
            held = coalesce(c.held, 0), sold = coalesce(c.sold, 0)
        FROM (
            SELECT tenant_id, ticket_type_id,
                sum(quantity) FILTER (WHERE status = 'held') AS held,
                sum(quantity) FILTER (WHERE status = 'confirmed') AS sold
            FROM ticket_holds GROUP BY tenant_id, ticket_type_id
        ) AS c
        WHERE c.tenant_id = t.tenant_id AND c.ticket_type_id = t.id
        """
    )
    op.drop_column("ticket_types", "taken")
    op.create_check_constraint("ck_ticket_types_held_non_negative", "ticket_types", "held >= 0")
    op.create_check_constraint("ck_ticket_types_sold_non_negative", "ticket_types", "sold >= 0")
    op.create_check_constraint(
        "ck_ticket_types_within_capacity", "ticket_types", "held + sold <= capacity"
    )
