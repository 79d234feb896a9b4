"""tt_tax: sales tax on ticket sales, from dated rate tables, charged at the venue.

``TaxCalculator().calculate(amount, venue_address, customer_address, on_date)`` answers a
``TaxResult`` of state, local and special lines. Rates come from a ``RateSource``; the
default, ``BundledRates``, reads the CSV tables shipped in ``tt_tax/data``; TaxJar
(``tt_tax.adapters.taxjar.TaxJarRates``) can answer first, behind ``FallbackRates``.

``NexusTracker`` checks sales against each state's economic-nexus thresholds;
``form_for`` builds a user's Form 1099-DA (``tt_tax.adapters.pdf_1099da`` renders it).
Adapters are imported from their own modules, so that importing tt_tax loads no
infrastructure library.
"""

from tt_tax.address import Address
from tt_tax.bundled_rates import BundledRates
from tt_tax.calculator import TaxCalculator
from tt_tax.errors import (
    AddressError,
    InvalidAddressError,
    RateSourceUnavailableError,
    RateTableError,
    TaxRateUnavailableError,
    UnknownJurisdictionError,
)
from tt_tax.fallback_rates import FallbackRates
from tt_tax.form_1099da import (
    BOX_LABELS,
    FIRST_REPORTABLE_DAY,
    REPORTING_THRESHOLD_CENTS,
    Disposition,
    ExcludedDisposition,
    Form1099DA,
    Payee,
    Payer,
    dollars,
    form_for,
    is_reportable,
    mask_tin,
    select_dispositions,
)
from tt_tax.nexus import (
    Combinator,
    MeasurementPeriod,
    NexusCheck,
    NexusThreshold,
    NexusTotals,
    NexusTracker,
    read_nexus_thresholds,
)
from tt_tax.ports import RateSource
from tt_tax.rate_tables import RateTables, read_rate_tables
from tt_tax.rates import (
    ApplicableRates,
    Rate,
    StateRate,
    TaxSource,
    bps_from_fraction,
    bps_from_percent,
)
from tt_tax.result import TaxLine, TaxLineKind, TaxResult
from tt_tax.states import STATES_AND_DC, USPS_STATE_CODES

__all__ = [
    "BOX_LABELS",
    "FIRST_REPORTABLE_DAY",
    "REPORTING_THRESHOLD_CENTS",
    "STATES_AND_DC",
    "USPS_STATE_CODES",
    "Address",
    "AddressError",
    "ApplicableRates",
    "BundledRates",
    "Combinator",
    "Disposition",
    "ExcludedDisposition",
    "FallbackRates",
    "Form1099DA",
    "InvalidAddressError",
    "MeasurementPeriod",
    "NexusCheck",
    "NexusThreshold",
    "NexusTotals",
    "NexusTracker",
    "Payee",
    "Payer",
    "Rate",
    "RateSource",
    "RateSourceUnavailableError",
    "RateTableError",
    "RateTables",
    "StateRate",
    "TaxCalculator",
    "TaxLine",
    "TaxLineKind",
    "TaxRateUnavailableError",
    "TaxResult",
    "TaxSource",
    "UnknownJurisdictionError",
    "bps_from_fraction",
    "bps_from_percent",
    "dollars",
    "form_for",
    "is_reportable",
    "mask_tin",
    "read_nexus_thresholds",
    "read_rate_tables",
    "select_dispositions",
]
