"""tt_ledger: the double-entry journal and the payment and refund state machines.

Pure domain: entries are built and checked here, and recorded by the database adapter,
which checks the same invariants again. Depends on attrs, tt_money and the standard
library only.
"""

from tt_ledger.accounts import PLATFORM_OWNER, AccountKind, AccountRef, Side
from tt_ledger.dispute_entries import (
    DISPUTE_LOST_KIND,
    DISPUTE_OPENED_KIND,
    DISPUTE_REFERENCE,
    DISPUTE_WON_KIND,
    dispute_lost_entry,
    dispute_opened_entry,
    dispute_reference,
    dispute_won_entry,
    venue_dispute_share,
)
from tt_ledger.errors import (
    InvalidTransitionError,
    LedgerError,
    RefundExceedsCaptureError,
    UnbalancedEntryError,
)
from tt_ledger.journal import JournalEntry, Posting, balance_of, normal_balance
from tt_ledger.payment_entries import (
    PAYMENT_CAPTURED_KIND,
    PAYMENT_REFUND_REFERENCE,
    PAYMENT_TRANSACTION_REFERENCE,
    REFUND_COMPLETED_KIND,
    payment_captured_entry,
    refund_entry,
    split_venue_debit,
)
from tt_ledger.payment_states import (
    PAYMENT_STATE_MACHINE,
    PAYMENT_TRANSITIONS,
    SPEC_STATE_MACHINE_STATES,
    SPEC_TRANSACTION_STATUSES,
    PaymentEvent,
    PaymentStatus,
)
from tt_ledger.refund_states import (
    REFUND_STATE_MACHINE,
    REFUND_TRANSITIONS,
    RefundEvent,
    RefundStatus,
)
from tt_ledger.state_machine import Classification, StateMachine

__all__ = [
    "DISPUTE_LOST_KIND",
    "DISPUTE_OPENED_KIND",
    "DISPUTE_REFERENCE",
    "DISPUTE_WON_KIND",
    "PAYMENT_CAPTURED_KIND",
    "PAYMENT_REFUND_REFERENCE",
    "PAYMENT_STATE_MACHINE",
    "PAYMENT_TRANSACTION_REFERENCE",
    "PAYMENT_TRANSITIONS",
    "PLATFORM_OWNER",
    "REFUND_COMPLETED_KIND",
    "REFUND_STATE_MACHINE",
    "REFUND_TRANSITIONS",
    "SPEC_STATE_MACHINE_STATES",
    "SPEC_TRANSACTION_STATUSES",
    "AccountKind",
    "AccountRef",
    "Classification",
    "InvalidTransitionError",
    "JournalEntry",
    "LedgerError",
    "PaymentEvent",
    "PaymentStatus",
    "Posting",
    "RefundEvent",
    "RefundExceedsCaptureError",
    "RefundStatus",
    "Side",
    "StateMachine",
    "UnbalancedEntryError",
    "balance_of",
    "dispute_lost_entry",
    "dispute_opened_entry",
    "dispute_reference",
    "dispute_won_entry",
    "normal_balance",
    "payment_captured_entry",
    "refund_entry",
    "split_venue_debit",
    "venue_dispute_share",
]
