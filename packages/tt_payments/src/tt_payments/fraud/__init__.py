"""The fraud context: the pre-payment fraud check (bots, scalpers, velocity, the decision
engine) and the fraud admin's views and policies (``service``); what it records
(``records``), the storage it needs (``ports``) and that storage in PostgreSQL (``sql``)."""
