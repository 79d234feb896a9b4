"""Double-entry ledger and payment state machines (filled by the payment-core issue)."""
