"""The tax context: the rows a payment's settlement and a refund's completion write
(``service.TaxRecords``, through ``ports.TaxRecordWriter`` in their transactions); the
tax routes, nexus tracking and Forms 1099-DA (``compliance.TaxCompliance``); what it
stores (``records``) and that storage in PostgreSQL (``sql``)."""
