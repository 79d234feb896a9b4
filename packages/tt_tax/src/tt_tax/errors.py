"""The errors tt_tax raises on purpose, each carrying the code the API reports.

Field names in ``details`` are relative to the address they describe (``"zip"``,
``"state"``); the caller that knows where the address came from prefixes them with
``with_field_prefix("venueAddress")`` before the error reaches the API mapper.
"""

from __future__ import annotations

from typing import Self

from tt_money.errors import InvalidInputError, TicketTokenError

__all__ = [
    "AddressError",
    "InvalidAddressError",
    "RateSourceUnavailableError",
    "RateTableError",
    "TaxRateUnavailableError",
    "UnknownJurisdictionError",
]


class AddressError(InvalidInputError):
    """An address we cannot tax: malformed, or somewhere we hold no rates for."""

    def with_field_prefix(self, prefix: str) -> Self:
        """The same error with every detail's field put under ``prefix``.

        ``("zip", ...)`` becomes ``("venueAddress.zip", ...)`` for ``prefix="venueAddress"``.
        """
        return type(self)(
            self.message,
            code=self.code,
            details=[(f"{prefix}.{field}", message) for field, message in self.details],
        )


class InvalidAddressError(AddressError):
    """An address whose fields are malformed (bad ZIP, unknown state code, empty city)."""

    default_code = "INVALID_ADDRESS"


class UnknownJurisdictionError(AddressError):
    """A well-formed address in a place the rate source holds no rates for (e.g. PR).

    Raised instead of charging a silent zero.
    """

    default_code = "UNSUPPORTED_TAX_JURISDICTION"


class TaxRateUnavailableError(TicketTokenError):
    """The rate source has no rate in force on the requested date (e.g. before its tables
    begin). Not the caller's mistake as such, so it is not an ``InvalidInputError``."""

    default_code = "TAX_RATE_UNAVAILABLE"


class RateSourceUnavailableError(TicketTokenError):
    """A remote rate source (TaxJar) failed to answer: refused our key, timed out, broke, or
    answered something we cannot read. ``FallbackRates`` answers from the tables instead."""

    default_code = "TAX_RATE_SOURCE_UNAVAILABLE"
    replayable = False


class RateTableError(TicketTokenError):
    """A tax table file (rates, nexus thresholds) is malformed or inconsistent; ``details``
    name file:line."""

    default_code = "TAX_TABLE_INVALID"
