"""The high-demand context: an event's on-sale settings, purchase limits and waiting room,
admission of a buyer to pay, and the verifiable pre-sale draw (service); the storage it
needs (ports) and that storage in PostgreSQL (sql). The waiting room itself is
tt_high_demand's, on Redis."""
