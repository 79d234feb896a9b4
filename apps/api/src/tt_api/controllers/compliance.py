"""GET /api/v1/compliance/...: the caller's own Form 1099-DA, its PDF, and a summary of
their digital-asset sales per year. A user only ever sees their own; the TIN is masked."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from tt_api.auth import principal_of
from tt_api.dependencies import TaxComplianceDep
from tt_api.schemas.tax import (
    FormSummaryBody,
    RecipientInfoBody,
    TaxFormBody,
    TaxFormResponse,
    TaxSummaryResponse,
    TaxYearBody,
    YearSummaryBody,
)
from tt_money.errors import InvalidInputError
from tt_payments.tax.compliance import UserYear

BASE = "/api/v1/compliance"
_YEARS = range(2000, 2200)


def download_url(year: int) -> str:
    return f"{BASE}/tax-forms/{year}/pdf"


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) not in _YEARS:
        raise InvalidInputError("Validation failed", details=(("year", "must be a year, YYYY"),))
    return int(text)


def _form_body(year: UserYear) -> TaxFormBody | None:
    form = year.form
    if form is None:
        return None
    data: dict[str, Any] = dict(form.form_data)
    recipient = data["recipient"]
    return TaxFormBody(
        form_type=str(data["formType"]),
        tax_year=form.tax_year,
        status=form.status,
        generated_at=form.generated_at,
        recipient_info=RecipientInfoBody(
            name=recipient["name"], address=recipient["address"], tin=recipient["tin"]
        ),
        payer_info={key: str(value) for key, value in data["payer"].items()},
        account_number=str(data["accountNumber"]),
        summary=FormSummaryBody(
            total_proceeds=form.total_proceeds,
            total_cost_basis=form.total_cost_basis,
            total_gain=form.total_proceeds - form.total_cost_basis,
            transaction_count=form.transaction_count,
        ),
        transactions=list(data["transactions"]),
    )


class ComplianceController(Controller):
    path = BASE
    tags = ["compliance"]

    @get(
        "/tax-forms/{year:str}",
        operation_id="getTaxForm",
        summary="The caller's Form 1099-DA for a tax year, if one is due",
    )
    async def tax_form(
        self,
        request: Request[object, object, object],
        year: FromPath[str],
        tax_compliance: TaxComplianceDep,
    ) -> TaxFormResponse:
        tax_year = _year(year)
        (found,) = await tax_compliance.years(principal_of(request), tax_year)
        form = _form_body(found)
        return TaxFormResponse(
            required=found.required,
            form=form,
            download_url=None if form is None else download_url(tax_year),
        )

    @get(
        "/tax-forms/{year:str}/pdf",
        operation_id="downloadTaxForm",
        summary="The caller's Form 1099-DA as a PDF",
        media_type="application/pdf",
    )
    async def tax_form_pdf(
        self,
        request: Request[object, object, object],
        year: FromPath[str],
        tax_compliance: TaxComplianceDep,
    ) -> Response[bytes]:
        tax_year = _year(year)
        pdf = await tax_compliance.form_pdf(principal_of(request), tax_year)
        return Response(
            content=pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="1099-DA-{tax_year}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )

    @get(
        "/tax-summary",
        operation_id="getTaxSummary",
        summary="The caller's digital-asset sales per year, and their forms",
    )
    async def tax_summary(
        self,
        request: Request[object, object, object],
        tax_compliance: TaxComplianceDep,
    ) -> TaxSummaryResponse:
        years = await tax_compliance.years(principal_of(request))
        return TaxSummaryResponse(
            years=[
                TaxYearBody(
                    year=each.year,
                    required=each.required,
                    status=(
                        "generated"
                        if each.form is not None
                        else "pending"
                        if each.required
                        else "not_required"
                    ),
                    generated_at=None if each.form is None else each.form.generated_at,
                    download_url=None if each.form is None else download_url(each.year),
                    summary=YearSummaryBody(
                        total_proceeds=each.proceeds_cents,
                        transaction_count=each.transaction_count,
                    ),
                )
                for each in years
            ]
        )
