"""Form 1099-DA: a user's dispositions (resales) of ticket NFTs in one tax year (NOTES item 8).

The form covers sales of digital assets from 2025-01-01. Ticket NFTs are specified NFTs:
nothing is reported for a user whose gross proceeds for the year are $600.00 or less.
Amounts are integer cents, formatted from their digits (never through a float).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal

import attrs

from tt_money import USD, Money

__all__ = [
    "BOX_LABELS",
    "FIRST_REPORTABLE_DAY",
    "REPORTING_THRESHOLD_CENTS",
    "Disposition",
    "ExcludedDisposition",
    "Form1099DA",
    "Payee",
    "Payer",
    "dollars",
    "form_for",
    "is_reportable",
    "mask_tin",
    "select_dispositions",
]

FIRST_REPORTABLE_DAY = datetime.date(2025, 1, 1)
"""Form 1099-DA covers sales of digital assets from this day on."""

REPORTING_THRESHOLD_CENTS = 60_000
"""$600.00: a user whose gross proceeds for the year are at or under it gets no form."""

BOX_LABELS: dict[str, str] = {
    "1a": "Code for digital asset",
    "1b": "Name of digital asset",
    "1c": "Number of units",
    "1d": "Date acquired",
    "1e": "Date sold or disposed",
    "1f": "Proceeds",
    "1g": "Cost or other basis",
    "11c": "NFT primary-sale proceeds",
}
"""The boxes we fill for each disposition, in the form's order, with the form's labels."""

_TIN = re.compile(r"[0-9]{3}-?[0-9]{2}-?[0-9]{4}|[0-9]{2}-?[0-9]{7}")


def is_reportable(tax_year: int, gross_proceeds_cents: int) -> bool:
    """A Form 1099-DA is due: the year is one the form covers (sales from 2025-01-01) and
    the year's gross proceeds exceed $600.00 (NOTES item 8: $600 or less, nothing)."""
    return (
        tax_year >= FIRST_REPORTABLE_DAY.year and gross_proceeds_cents > REPORTING_THRESHOLD_CENTS
    )


def dollars(cents: int) -> str:
    """``60001`` -> ``"600.01"``: cents as a dollar amount, built from the digits."""
    return Money(cents, USD).format().removeprefix(f"{USD.code} ")


def mask_tin(tin: str) -> str:
    """A TIN shown only by its last four digits: ``"***-**-1234"``."""
    return f"***-**-{tin[-4:]}"


def _check_tin(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or _TIN.fullmatch(value) is None:
        # Never echo the value: it may be a real TIN with a typo.
        raise ValueError("tin must be 9 digits (SSN 123-45-6789 or EIN 12-3456789)")


def _digits(value: str) -> str:
    return value.replace("-", "") if isinstance(value, str) else value


def _not_blank(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _cents(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int of cents, not {value!r}")
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


_optional_cents = attrs.validators.optional(_cents)


@attrs.frozen(kw_only=True)
class Payee:
    """Who the form is for. ``tin`` (9 digits, dashes dropped) never appears in ``repr``;
    show ``masked_tin``."""

    name: str = attrs.field(validator=_not_blank)
    tin: str = attrs.field(converter=_digits, validator=_check_tin, repr=False)
    address: str = attrs.field(validator=_not_blank)

    @property
    def masked_tin(self) -> str:
        return mask_tin(self.tin)


@attrs.frozen(kw_only=True)
class Payer:
    """The broker filing the form (the platform); its TIN is printed in full."""

    name: str = attrs.field(validator=_not_blank)
    tin: str = attrs.field(validator=_check_tin)
    address: str = attrs.field(validator=_not_blank)


@attrs.frozen(kw_only=True)
class Disposition:
    """One sale of a ticket NFT by ``user_id``: boxes 1a-1g and 11c of its form line.

    ``acquired_on`` and ``cost_basis_cents`` may be unknown (``None``: the box stays
    blank); ``primary_sale_proceeds_cents`` is set when this sale was the NFT's first.
    """

    user_id: str = attrs.field(validator=_not_blank)
    token_id: str = attrs.field(validator=_not_blank)
    asset_code: str = attrs.field(validator=_not_blank)
    asset_name: str = attrs.field(validator=_not_blank)
    units: Decimal = Decimal(1)
    acquired_on: datetime.date | None
    sold_on: datetime.date
    gross_proceeds_cents: int = attrs.field(validator=_cents)
    cost_basis_cents: int | None = attrs.field(default=None, validator=_optional_cents)
    primary_sale_proceeds_cents: int | None = attrs.field(default=None, validator=_optional_cents)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.units, Decimal) or not self.units.is_finite() or self.units <= 0:
            raise ValueError(f"units must be a positive Decimal, not {self.units!r}")
        for day in (self.acquired_on, self.sold_on):
            if isinstance(day, datetime.datetime) or not isinstance(
                day, datetime.date | type(None)
            ):
                raise TypeError(f"dates must be dates, not {day!r}")
        if self.acquired_on is not None and self.acquired_on > self.sold_on:
            raise ValueError(f"acquired on {self.acquired_on}, after it was sold on {self.sold_on}")

    def boxes(self) -> dict[str, str | None]:
        """The box values as printed (``None`` for a blank box), keyed like ``BOX_LABELS``."""
        return {
            "1a": self.asset_code,
            "1b": self.asset_name,
            "1c": str(self.units),
            "1d": None if self.acquired_on is None else self.acquired_on.isoformat(),
            "1e": self.sold_on.isoformat(),
            "1f": dollars(self.gross_proceeds_cents),
            "1g": None if self.cost_basis_cents is None else dollars(self.cost_basis_cents),
            "11c": (
                None
                if self.primary_sale_proceeds_cents is None
                else dollars(self.primary_sale_proceeds_cents)
            ),
        }


@attrs.frozen(kw_only=True)
class ExcludedDisposition:
    """A disposition left off a user's form for ``tax_year``, and why."""

    disposition: Disposition
    reason: str


@attrs.frozen(kw_only=True)
class Form1099DA:
    """One user's Form 1099-DA for ``tax_year``: every reportable disposition, and the
    ones left off with their reasons (kept for the record, not printed)."""

    tax_year: int
    payer: Payer
    payee: Payee
    account_number: str
    dispositions: tuple[Disposition, ...]
    excluded: tuple[ExcludedDisposition, ...] = ()

    @property
    def gross_proceeds_cents(self) -> int:
        """Box 1f added up over the year."""
        return sum(disposition.gross_proceeds_cents for disposition in self.dispositions)

    def as_json(self) -> dict[str, object]:
        """The form as JSON-ready data (camelCase keys, amounts as ``"600.01"`` strings),
        with the payee's TIN masked to its last four digits."""
        return {
            "formType": "1099-DA",
            "taxYear": self.tax_year,
            "payer": {
                "name": self.payer.name,
                "tin": self.payer.tin,
                "address": self.payer.address,
            },
            "recipient": {
                "name": self.payee.name,
                "tin": self.payee.masked_tin,
                "address": self.payee.address,
            },
            "accountNumber": self.account_number,
            "grossProceeds": dollars(self.gross_proceeds_cents),
            "transactions": [
                {"tokenId": disposition.token_id, "boxes": disposition.boxes()}
                for disposition in self.dispositions
            ],
        }


def select_dispositions(
    user_id: str, tax_year: int, dispositions: Iterable[Disposition]
) -> tuple[tuple[Disposition, ...], tuple[ExcludedDisposition, ...]]:
    """Split ``dispositions`` into those on ``user_id``'s form for ``tax_year`` (sorted by
    date sold) and those left off, each with its reason: another user's, sold in another
    year, or sold before ``FIRST_REPORTABLE_DAY``."""
    included: list[Disposition] = []
    excluded: list[ExcludedDisposition] = []
    for disposition in dispositions:
        reason = _exclusion(disposition, user_id, tax_year)
        if reason is None:
            included.append(disposition)
        else:
            excluded.append(ExcludedDisposition(disposition=disposition, reason=reason))
    included.sort(key=lambda disposition: (disposition.sold_on, disposition.token_id))
    return tuple(included), tuple(excluded)


def _exclusion(disposition: Disposition, user_id: str, tax_year: int) -> str | None:
    if disposition.user_id != user_id:
        return f"belongs to user {disposition.user_id}, not {user_id}"
    if disposition.sold_on < FIRST_REPORTABLE_DAY:
        return (
            f"sold on {disposition.sold_on.isoformat()}, before Form 1099-DA covers sales "
            f"(from {FIRST_REPORTABLE_DAY.isoformat()})"
        )
    if disposition.sold_on.year != tax_year:
        return f"sold in {disposition.sold_on.year}, not in tax year {tax_year}"
    return None


def form_for(
    user_id: str,
    tax_year: int,
    dispositions: Iterable[Disposition],
    payee: Payee,
    *,
    payer: Payer,
) -> Form1099DA | None:
    """``user_id``'s Form 1099-DA for ``tax_year``, or ``None`` when the year's gross
    proceeds are $600.00 or less (nothing is reported for specified NFTs then).

    ``dispositions`` may hold other users' and other years' sales; they are left off (see
    ``select_dispositions``). Pure: builds the form, stores nothing. Raises ``ValueError``
    for a tax year before 2025, which Form 1099-DA does not cover.
    """
    if tax_year < FIRST_REPORTABLE_DAY.year:
        raise ValueError(f"Form 1099-DA covers tax years from {FIRST_REPORTABLE_DAY.year}")
    included, excluded = select_dispositions(user_id, tax_year, dispositions)
    form = Form1099DA(
        tax_year=tax_year,
        payer=payer,
        payee=payee,
        account_number=user_id,
        dispositions=included,
        excluded=excluded,
    )
    return form if is_reportable(tax_year, form.gross_proceeds_cents) else None
