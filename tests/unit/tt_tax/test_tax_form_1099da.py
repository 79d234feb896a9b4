"""Form 1099-DA: the $600 threshold, the boxes, exclusions, the masked TIN, and the PDF."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from tt_tax import (
    BOX_LABELS,
    REPORTING_THRESHOLD_CENTS,
    Disposition,
    Form1099DA,
    Payee,
    Payer,
    dollars,
    form_for,
    select_dispositions,
)
from tt_tax.adapters.pdf_1099da import render_1099da_pdf

YEAR = 2025
USER = "user-42"
FULL_TIN = "123-45-6789"
PAYEE = Payee(name="Ada Buyer", tin=FULL_TIN, address="1 Main St\nNashville, TN 37203")
PAYER = Payer(
    name="TicketToken Inc.", tin="12-3456789", address="500 Market St\nSan Francisco, CA 94105"
)


def sale(
    proceeds_cents: int,
    *,
    sold_on: datetime.date = datetime.date(2025, 3, 14),
    user_id: str = USER,
    token_id: str = "token-1",  # noqa: S107 - an NFT id, not a secret
    **fields: object,
) -> Disposition:
    values: dict[str, object] = {
        "user_id": user_id,
        "token_id": token_id,
        "asset_code": "TTKT",
        "asset_name": "TicketToken ticket: Nashville Symphony 2025-04-01 Row C Seat 12",
        "acquired_on": datetime.date(2025, 1, 20),
        "sold_on": sold_on,
        "gross_proceeds_cents": proceeds_cents,
        "cost_basis_cents": 25_000,
    }
    values.update(fields)
    return Disposition(**values)  # type: ignore[arg-type]


def form(*dispositions: Disposition, year: int = YEAR) -> Form1099DA | None:
    return form_for(USER, year, dispositions, PAYEE, payer=PAYER)


# --- the threshold ------------------------------------------------------------------------


def test_600_dollars_of_proceeds_gets_no_form() -> None:
    assert form(sale(60_000)) is None
    assert form(sale(30_000, token_id="a"), sale(30_000, token_id="b")) is None


def test_600_dollars_and_one_cent_gets_a_form() -> None:
    reported = form(sale(30_000, token_id="a"), sale(30_001, token_id="b"))
    assert reported is not None
    assert reported.gross_proceeds_cents == 60_001
    assert reported.as_json()["grossProceeds"] == "600.01"


def test_no_dispositions_no_form() -> None:
    assert form() is None


@given(st.lists(st.integers(0, 40_000), max_size=8))
def test_a_form_exactly_when_the_years_proceeds_exceed_600_dollars(amounts: list[int]) -> None:
    sales = [sale(cents, token_id=f"t{i}") for i, cents in enumerate(amounts)]
    reported = form(*sales)
    assert (reported is not None) == (sum(amounts) > REPORTING_THRESHOLD_CENTS)
    if reported is not None:
        assert reported.gross_proceeds_cents == sum(amounts)


# --- the boxes ------------------------------------------------------------------------------


def test_the_boxes_of_a_resale() -> None:
    reported = form(sale(75_050, primary_sale_proceeds_cents=12_345, units=Decimal(1)))
    assert reported is not None
    assert reported.as_json()["transactions"] == [
        {
            "tokenId": "token-1",
            "boxes": {
                "1a": "TTKT",
                "1b": "TicketToken ticket: Nashville Symphony 2025-04-01 Row C Seat 12",
                "1c": "1",
                "1d": "2025-01-20",
                "1e": "2025-03-14",
                "1f": "750.50",
                "1g": "250.00",
                "11c": "123.45",
            },
        }
    ]
    assert list(reported.dispositions[0].boxes()) == list(BOX_LABELS)


def test_unknown_acquisition_date_and_basis_leave_their_boxes_blank() -> None:
    reported = form(sale(70_000, acquired_on=None, cost_basis_cents=None))
    assert reported is not None
    boxes = reported.dispositions[0].boxes()
    assert (boxes["1d"], boxes["1g"], boxes["11c"]) == (None, None, None)


def test_the_json_masks_the_tin_and_is_serialisable() -> None:
    reported = form(sale(70_000))
    assert reported is not None
    data = reported.as_json()
    assert data["recipient"] == {
        "name": "Ada Buyer",
        "tin": "***-**-6789",
        "address": "1 Main St\nNashville, TN 37203",
    }
    text = json.dumps(data)
    assert "123-45" not in text
    assert "123456789" not in text
    assert (data["formType"], data["taxYear"], data["accountNumber"]) == ("1099-DA", 2025, USER)


def test_the_tin_never_shows_in_a_repr() -> None:
    assert "6789" not in repr(PAYEE)
    assert PAYEE.masked_tin == "***-**-6789"


@pytest.mark.parametrize("tin", ["12345678", "123-45-678X", "", "1234567890"])
def test_a_malformed_tin_is_refused_without_echoing_it(tin: str) -> None:
    with pytest.raises(ValueError, match="9 digits") as raised:
        attrs.evolve(PAYEE, tin=tin)
    assert tin == "" or tin not in str(raised.value)


@pytest.mark.parametrize(("cents", "text"), [(0, "0.00"), (5, "0.05"), (60_001, "600.01")])
def test_dollars_are_formatted_from_cents(cents: int, text: str) -> None:
    assert dollars(cents) == text


# --- what is left off -------------------------------------------------------------------------


def test_sales_before_2025_are_left_off_with_a_reason() -> None:
    # given a 2024 sale of $5,000 and a 2025 sale of $600.00
    old = sale(500_000, sold_on=datetime.date(2024, 12, 31), acquired_on=None, token_id="old")
    new = sale(60_000, token_id="new")
    # then the 2024 sale does not count: no form for 2025
    assert form(old, new) is None
    included, excluded = select_dispositions(USER, YEAR, [old, new])
    assert included == (new,)
    assert [(e.disposition, e.reason) for e in excluded] == [
        (old, "sold on 2024-12-31, before Form 1099-DA covers sales (from 2025-01-01)")
    ]


def test_other_users_and_other_years_are_left_off() -> None:
    theirs = sale(90_000, user_id="user-7", token_id="theirs")
    next_year = sale(90_000, sold_on=datetime.date(2026, 1, 2), token_id="next")
    mine = sale(60_001, token_id="mine")
    reported = form(theirs, next_year, mine)
    assert reported is not None
    assert reported.dispositions == (mine,)
    assert [e.reason for e in reported.excluded] == [
        "belongs to user user-7, not user-42",
        "sold in 2026, not in tax year 2025",
    ]


def test_tax_years_before_2025_are_refused() -> None:
    with pytest.raises(ValueError, match="from 2025"):
        form(sale(90_000), year=2024)


@pytest.mark.parametrize(
    "fields",
    [
        {"gross_proceeds_cents": -1},
        {"cost_basis_cents": -1},
        {"units": Decimal(0)},
        {"acquired_on": datetime.date(2025, 4, 1)},
        {"asset_code": " "},
    ],
)
def test_an_impossible_disposition_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        attrs.evolve(sale(100), **fields)


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_parses_has_one_page_and_shows_the_proceeds_not_the_tin() -> None:
    # given a form with $600.01 of proceeds in two sales
    reported = form(sale(30_000, token_id="a"), sale(30_001, token_id="b", acquired_on=None))
    assert reported is not None
    # when it is rendered
    pdf = render_1099da_pdf(reported)
    # then a PDF reader reads one page showing the proceeds and the masked TIN only
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "600.01" in text
    assert "300.01" in text
    assert "***-**-6789" in text
    assert "Tax year 2025" in text
    assert "Proceeds" in text
    assert "TicketToken Inc." in text
    for full in ("123-45-6789", "123456789"):
        assert full not in text
        assert full.encode() not in pdf


def test_non_latin_names_still_render() -> None:
    reported = form(sale(70_000, asset_name="Концерт ticket"))
    assert reported is not None
    reader = PdfReader(io.BytesIO(render_1099da_pdf(attrs.evolve(reported, payee=PAYEE))))
    assert "ticket" in reader.pages[0].extract_text()
