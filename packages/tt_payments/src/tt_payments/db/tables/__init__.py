"""SQLAlchemy Core descriptions of the tables the queries use, one module per context.

The schema itself is owned by the Alembic migrations in ``tt_payments/db/migrations/``;
these descriptions only need the columns the code reads and writes, and a test checks
that they agree with the migrated database. Importing this package loads every module,
so ``metadata`` holds every table.
"""

from tt_payments.db.metadata import metadata
from tt_payments.db.tables import (
    catalog,
    fraud,
    high_demand,
    idempotency,
    ledger,
    outbox,
    payments,
    payouts,
    reconciliation,
    settlement,
    subscribers,
    tax,
    tickets,
    webhooks,
)

__all__ = [
    "catalog",
    "fraud",
    "high_demand",
    "idempotency",
    "ledger",
    "metadata",
    "outbox",
    "payments",
    "payouts",
    "reconciliation",
    "settlement",
    "subscribers",
    "tax",
    "tickets",
    "webhooks",
]
