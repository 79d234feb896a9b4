"""The service's clock: every service that reads the time takes a ``Clock`` (default
``utcnow``), so a test, or ``bootstrap(settings, clock=...)``, gives all of them one clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Returns the current moment, timezone-aware (UTC)."""


def utcnow() -> dt.datetime:
    """The system clock, in UTC."""
    return dt.datetime.now(dt.UTC)
