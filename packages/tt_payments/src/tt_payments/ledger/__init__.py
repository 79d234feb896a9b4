"""The ledger context: tt_ledger's journal entries posted to PostgreSQL (``sql``), and the
ports a context's services post through (``ports``)."""
