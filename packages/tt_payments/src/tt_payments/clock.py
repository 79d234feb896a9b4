"""The service's clock: every service that reads the time takes a ``Clock`` (default
``utcnow``), so a test, or ``bootstrap(settings, clock=...)``, gives all of them one clock.
Both are tt_money's (``tt_money.clock``), shared with the domain packages."""

from __future__ import annotations

from tt_money.clock import Clock, utcnow

__all__ = ["Clock", "utcnow"]
