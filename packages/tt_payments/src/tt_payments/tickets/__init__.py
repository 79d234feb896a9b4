"""The tickets context: the verified price and the seats left of each ticket type, and
the holds a buyer takes while paying (``records``, ``ports.TicketCatalog``); the local
catalog in PostgreSQL (``sql``), the embedded default; the admin's ticket types
(``service``). The ticket service over HTTP implements the same port (issue 13)."""
