"""A rate source that asks a primary (TaxJar) first and the tables when it cannot answer."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from tt_money.errors import TicketTokenError
from tt_tax.address import Address
from tt_tax.ports import RateSource
from tt_tax.rates import ApplicableRates

__all__ = ["FallbackRates"]

_log = logging.getLogger(__name__)


class FallbackRates:
    """Rates from ``primary``, or from ``fallback`` when ``primary`` raises one of our errors
    (``RateSourceUnavailableError`` for an outage or timeout, ``UnknownJurisdictionError`` or
    ``TaxRateUnavailableError`` for a place or date it cannot answer for).

    The answer's ``source`` tells which one answered; the calculator copies it into the
    result's ``tax_source``. Errors that are not ours (bugs) are not swallowed: adapters
    translate their vendor's exceptions. When the fallback fails too, its error is raised,
    chained to the primary's.
    """

    def __init__(
        self,
        primary: RateSource,
        fallback: RateSource,
        *,
        on_fallback: Callable[[TicketTokenError], None] | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._on_fallback = on_fallback

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        """``primary``'s rates at ``address`` on ``on_date``, else ``fallback``'s.

        Side effects: a warning log line and a call to ``on_fallback`` (for metrics) each
        time the fallback answers. Moves no money.
        """
        try:
            return self._primary.rates_for(address, on_date)
        except TicketTokenError as primary_error:
            _log.warning(
                "tax rates for %s %s on %s from the fallback: %s (%s)",
                address.state,
                address.zip,
                on_date.isoformat(),
                primary_error.code,
                primary_error.message,
            )
            if self._on_fallback is not None:
                self._on_fallback(primary_error)
            try:
                return self._fallback.rates_for(address, on_date)
            except TicketTokenError as fallback_error:
                raise fallback_error from primary_error
