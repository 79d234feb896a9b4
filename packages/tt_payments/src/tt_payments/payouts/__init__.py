"""The payouts context: a venue withdraws what it is owed, never more.

``service.PayoutService`` (requests, the provider's answers, the daily run), its records
(``records``), the storage it needs (``ports``) and that storage in PostgreSQL (``sql``,
wired in by ``tt_payments.bootstrap`` only).
"""

from tt_payments.payouts.records import PayoutRecord, PayoutSettings, RunReport
from tt_payments.payouts.service import PayoutAccountMissingError, PayoutService

__all__ = [
    "PayoutAccountMissingError",
    "PayoutRecord",
    "PayoutService",
    "PayoutSettings",
    "RunReport",
]
