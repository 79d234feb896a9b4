"""A Form 1099-DA rendered to PDF with fpdf2: payer, recipient (TIN masked), then one
block of boxes per disposition.

It is a recipient statement in the form's words, not the IRS's scannable red Copy A.
fpdf2's core fonts are Latin-1: any other character in a name or address is printed as "?".
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from tt_tax.form_1099da import BOX_LABELS, Form1099DA, dollars

__all__ = ["render_1099da_pdf"]

_FONT = "Helvetica"
_LABEL_WIDTH = 70  # mm
_LINE = 5.5  # mm


def render_1099da_pdf(form: Form1099DA) -> bytes:
    """The PDF bytes of ``form``. Pure: writes no file; the payee's full TIN is never in it."""
    pdf = FPDF(format="Letter")
    pdf.set_title(f"Form 1099-DA {form.tax_year}")
    pdf.set_author(_latin1(form.payer.name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    pdf.set_font(_FONT, style="B", size=16)
    _line(pdf, f"Form 1099-DA  -  Tax year {form.tax_year}")
    pdf.set_font(_FONT, size=9)
    _line(pdf, "Digital Asset Proceeds From Broker Transactions (recipient statement)")
    pdf.ln(3)

    _party(pdf, "PAYER", form.payer.name, f"TIN {form.payer.tin}", form.payer.address)
    _party(
        pdf,
        "RECIPIENT",
        form.payee.name,
        f"TIN {form.payee.masked_tin}",
        form.payee.address,
    )
    pdf.set_font(_FONT, size=10)
    _row(pdf, "Account number", form.account_number)
    _row(pdf, "Total gross proceeds (1f)", f"$ {dollars(form.gross_proceeds_cents)}")
    pdf.ln(3)

    for number, disposition in enumerate(form.dispositions, start=1):
        pdf.set_font(_FONT, style="B", size=10)
        _line(pdf, f"Transaction {number}: token {disposition.token_id}")
        pdf.set_font(_FONT, size=10)
        for box, value in disposition.boxes().items():
            money = box in {"1f", "1g", "11c"} and value is not None
            shown = "" if value is None else f"$ {value}" if money else value
            _row(pdf, f"{box}  {BOX_LABELS[box]}", shown)
        pdf.ln(2)
    return bytes(pdf.output())


def _party(pdf: FPDF, title: str, name: str, tin: str, address: str) -> None:
    pdf.set_font(_FONT, style="B", size=10)
    _line(pdf, title)
    pdf.set_font(_FONT, size=10)
    for text in (name, tin, *address.splitlines()):
        _line(pdf, text)
    pdf.ln(2)


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.cell(_LABEL_WIDTH, _LINE, _latin1(label), border="B")
    pdf.cell(0, _LINE, _latin1(value), border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _line(pdf: FPDF, text: str) -> None:
    pdf.cell(0, _LINE + 1, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _latin1(text: str) -> str:
    return text.encode("latin-1", errors="replace").decode("latin-1")
