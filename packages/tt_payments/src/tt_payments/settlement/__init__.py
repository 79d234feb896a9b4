"""The settlement context: venue balances (pending, available, reserved) and the move of
each sale from pending to available, with its rolling reserve (``service``); the storage
it needs (``ports``) and that storage in PostgreSQL (``sql``)."""

from tt_payments.settlement.records import SettlementReport, VenueKey
from tt_payments.settlement.service import BalanceService

__all__ = ["BalanceService", "SettlementReport", "VenueKey"]
