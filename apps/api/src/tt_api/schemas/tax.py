"""Bodies of POST /internal/calculate-tax and the /api/v1/compliance routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from tt_api.schemas.catalog import AddressBody, Schema

# Zero is a valid amount to tax; the ceiling matches calculate-fees'.
TaxableCents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]


class CalculateTaxRequest(Schema):
    """``venueAddress``, or ``venueId`` with the venue's ``tenantId``."""

    amount: TaxableCents
    venue_address: AddressBody | None = None
    venue_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    customer_address: AddressBody | None = None
    transaction_date: dt.date | None = None


class TaxBreakdownLine(Schema):
    name: str
    rate: msgspec.Raw
    """Percent, an exact JSON number (7.0 is ``7``, 2.25 is ``2.25``)."""
    amount: int
    jurisdiction: str


class CalculateTaxResponse(Schema):
    taxable_amount: int
    state_tax: int
    local_tax: int
    special_tax: int
    total_tax: int
    breakdown: dict[str, TaxBreakdownLine]
    jurisdiction: str
    tax_date: dt.date
    tax_source: str


class RecipientInfoBody(Schema):
    name: str
    address: str
    tin: str
    """Masked to its last four digits: ``***-**-1234``."""


class FormSummaryBody(Schema):
    total_proceeds: int
    total_cost_basis: int
    total_gain: int
    transaction_count: int


class TaxFormBody(Schema):
    form_type: str
    tax_year: int
    status: str
    generated_at: dt.datetime
    recipient_info: RecipientInfoBody
    payer_info: dict[str, str]
    account_number: str
    summary: FormSummaryBody
    transactions: list[dict[str, object]]
    """One per disposition: ``tokenId`` and the ``boxes`` as printed."""


class TaxFormResponse(Schema):
    required: bool
    form: TaxFormBody | None
    download_url: str | None


class YearSummaryBody(Schema):
    total_proceeds: int
    transaction_count: int


class TaxYearBody(Schema):
    year: int
    required: bool
    status: str
    """``generated``; ``pending`` (required, not generated yet); ``not_required``."""
    generated_at: dt.datetime | None
    download_url: str | None
    summary: YearSummaryBody


class TaxSummaryResponse(Schema):
    years: list[TaxYearBody]
