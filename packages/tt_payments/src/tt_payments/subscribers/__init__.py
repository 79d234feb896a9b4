"""Event subscribers: our events delivered as signed HTTP POSTs, at least once, in order
per payment, retried, dead-lettered and redrivable."""
