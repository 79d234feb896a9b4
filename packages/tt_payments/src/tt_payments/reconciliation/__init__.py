"""The reconciliation context: our payments and refunds compared with the processor's, what
is fixed and what is filed for a person (service); the storage it needs (ports) and that
storage in PostgreSQL (sql)."""
