"""Purchase-limit counts read one index each, whatever the planner knows of the event.

The purchase limits count the tickets one buyer, one card and one address hold for an
event, under a lock, on every purchase. Migration 0006 gave each count an index on
``(tenant_id, event_id, <subject>)``; but every one of those indexes (and the event's own)
also answers ``tenant_id = ? AND event_id = ?`` as a prefix, and when the statistics say
the event is rare (a new event, a table not analyzed since the on-sale began) every plan
costs the same one row and PostgreSQL may pick the wrong index: each count then walks all
of the event's payments. Issue 14 measured 2.3 ms of PostgreSQL time per purchase after
1,500 purchases, growing with every one, most of the database's work per payment.

Each count now compares one expression, ``tenant event subject`` as text, that only its
own index holds: no other index can serve it, so the plan is the same from the first sale
to the last. The uuids are fixed-width text, so the key is unambiguous whatever the
subject (a payment-method id or an address fingerprint) contains.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SUBJECTS = {
    "user": "user_id::text",
    "method": "payment_method_id",
    "address": "address_fingerprint",
}


def key_expression(subject: str) -> str:
    """The indexed key of one purchase-limit subject (the counting query repeats it)."""
    return f"(tenant_id::text || ' ' || event_id::text || ' ' || {_SUBJECTS[subject]})"


def upgrade() -> None:
    for subject in _SUBJECTS:
        op.execute(
            f"CREATE INDEX ix_payment_transactions_limit_{subject}"
            f" ON payment_transactions ({key_expression(subject)})"
        )
    for old in ("user", "method", "address"):
        op.drop_index(f"ix_payment_transactions_event_{old}", table_name="payment_transactions")


def downgrade() -> None:
    for name, column in (
        ("ix_payment_transactions_event_user", "user_id"),
        ("ix_payment_transactions_event_method", "payment_method_id"),
        ("ix_payment_transactions_event_address", "address_fingerprint"),
    ):
        op.create_index(name, "payment_transactions", ["tenant_id", "event_id", column])
    for subject in _SUBJECTS:
        op.drop_index(f"ix_payment_transactions_limit_{subject}", table_name="payment_transactions")
