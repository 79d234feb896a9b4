"""The one system clock of every package: ``Clock`` is what a service or domain object
takes to read the time, ``utcnow`` the default (tests and ``bootstrap(settings,
clock=...)`` pass their own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["Clock", "utcnow"]

Clock = Callable[[], dt.datetime]
"""Returns the current moment, timezone-aware (UTC)."""


def utcnow() -> dt.datetime:
    """The system clock, in UTC."""
    return dt.datetime.now(dt.UTC)
