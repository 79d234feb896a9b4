"""The catalog context: venues and events as the ticket service publishes them
(``records``), putting them (``service``), reading them (``ports``: ``Catalog``,
``SalesVolume``) and their PostgreSQL tables (``sql``).

This package exports the records: importing it costs a command nothing more.
"""

from tt_payments.catalog.records import (
    Event,
    EventNotFoundError,
    Venue,
    VenueNotFoundError,
    default_time_zone,
    venue_from_fields,
)

__all__ = [
    "Event",
    "EventNotFoundError",
    "Venue",
    "VenueNotFoundError",
    "default_time_zone",
    "venue_from_fields",
]
