"""What tt_tax needs from the outside world: a source of tax rates.

The bundled tables (``BundledRates``) implement it, and so does TaxJar
(``tt_tax.adapters.taxjar.TaxJarRates``), usually behind ``FallbackRates`` so that the
tables answer when TaxJar cannot.
"""

from __future__ import annotations

import datetime
from typing import Protocol

from tt_tax.address import Address
from tt_tax.rates import ApplicableRates

__all__ = ["RateSource"]


class RateSource(Protocol):
    """Tells which state, local and special rates apply at an address on a date."""

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        """The rates in force at ``address`` on ``on_date``.

        Raises ``UnknownJurisdictionError`` for a state the source holds no rates for, and
        ``TaxRateUnavailableError`` when it has none in force on ``on_date``. Never answers
        a silent zero for a place it does not know. A remote source raises
        ``RateSourceUnavailableError`` when it fails to answer. The answer's ``source`` says
        who answered. Reads only; no side effects.
        """
        ...
