"""Tax compliance: what a payment collected and a refund gave back, economic nexus,
and Form 1099-DA (issue 6, section 3; NOTES item 8).

- ``TaxRecords`` runs inside a payment's settlement and a refund's completion (same
  transaction): one ``tax_collections`` row per paid payment, one
  ``tax_collection_reversals`` row per completed refund (the tax the refund's journal entry
  took back from each tax payable account, so the records always agree with the ledger and
  a payment refunded in parts reverses exactly what it collected).
- ``TaxCompliance.track_nexus`` (the ``track_nexus`` job, every minute, and ``tt tax
  nexus``) sums the collections into ``tax_nexus_totals`` per tenant, state and year; the
  first time a state's threshold is met it adds ``tax.nexus_threshold_crossed`` (naming
  the sale that crossed it) to the outbox, once per tenant, state and year.
- ``TaxCompliance`` answers POST /internal/calculate-tax, records dispositions (resales of
  ticket NFTs) and payees until the marketplace does, generates the year's forms and
  answers a user's own form and summary.

Payee data (name, TIN, address) lives in ``tax_payees``, entered through ``put_payee``;
a user without one gets no form (``tt tax forms generate`` counts them). The full TIN is
only ever read to build a ``Payee``, whose ``repr``, JSON and PDF show its last four digits.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import attrs

from tt_money import USD, Money
from tt_money.errors import InvalidInputError, NotFoundError
from tt_payments.auth.identity import Principal
from tt_payments.catalog import VenueNotFoundError, default_time_zone
from tt_payments.catalog.ports import Catalog
from tt_payments.clock import utcnow
from tt_payments.tax.ports import TaxComplianceStore, TaxTransaction
from tt_payments.tax.records import NexusRow, StoredForm
from tt_payments.unit_of_work import UnitOfWork
from tt_tax import (
    FIRST_REPORTABLE_DAY,
    Address,
    Disposition,
    Form1099DA,
    NexusThreshold,
    NexusTotals,
    NexusTracker,
    Payee,
    Payer,
    TaxCalculator,
    TaxResult,
    UnknownJurisdictionError,
    form_for,
    is_reportable,
)

NEXUS_CROSSED_EVENT = "tax.nexus_threshold_crossed"


def _crossed_event(
    row: NexusRow, threshold: NexusThreshold, payment_id: uuid.UUID | None
) -> dict[str, object]:
    return {
        "state": row.state,
        "year": row.year,
        "salesCents": row.totals.sales_cents,
        "transactions": row.totals.transactions,
        "thresholdSalesCents": threshold.sales_cents,
        "thresholdTransactions": threshold.transactions,
        "combinator": None if threshold.combinator is None else threshold.combinator.value,
        "paymentId": None if payment_id is None else str(payment_id),
    }


@attrs.frozen(kw_only=True)
class NexusStatus:
    """One state's row of ``tt tax nexus``."""

    row: NexusRow
    threshold: NexusThreshold | None

    @property
    def met(self) -> bool:
        return self.threshold is not None and self.threshold.is_met(self.row.totals)

    def as_json(self) -> dict[str, object]:
        threshold = self.threshold
        return {
            "state": self.row.state,
            "year": self.row.year,
            "salesCents": self.row.totals.sales_cents,
            "transactions": self.row.totals.transactions,
            "thresholdSalesCents": None if threshold is None else threshold.sales_cents,
            "thresholdTransactions": None if threshold is None else threshold.transactions,
            "combinator": (
                None
                if threshold is None or threshold.combinator is None
                else threshold.combinator.value
            ),
            "met": self.met,
            "crossedAt": None if self.row.crossed_at is None else self.row.crossed_at.isoformat(),
        }


@attrs.frozen(kw_only=True)
class FormsReport:
    """What ``generate_forms`` did for one tax year (``tt tax forms generate``)."""

    tax_year: int
    users: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_required: int = 0
    missing_payee: tuple[uuid.UUID, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "taxYear": self.tax_year,
            "users": self.users,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "notRequired": self.not_required,
            "missingPayee": [str(user) for user in self.missing_payee],
        }


@attrs.frozen(kw_only=True)
class UserYear:
    """A user's dispositions in one year and their form, if generated."""

    year: int
    proceeds_cents: int
    cost_basis_cents: int
    transaction_count: int
    form: StoredForm | None

    @property
    def required(self) -> bool:
        """A form is due: the year is covered and proceeds exceed $600.00."""
        return is_reportable(self.year, self.proceeds_cents)


PdfRenderer = Callable[[Form1099DA], bytes]


@attrs.frozen(kw_only=True)
class TaxCompliance:
    """The tax routes and commands, wired once by ``bootstrap``."""

    calculator: TaxCalculator
    catalog: Catalog
    store: TaxComplianceStore
    uow: UnitOfWork[TaxTransaction]
    nexus: NexusTracker
    payer: Payer
    render_pdf: PdfRenderer
    clock: Callable[[], dt.datetime] = utcnow

    async def calculate(
        self,
        *,
        amount_minor: int,
        venue_address: Address | None = None,
        venue: tuple[uuid.UUID, uuid.UUID] | None = None,
        customer_address: Address | None = None,
        on_date: dt.date | None = None,
    ) -> TaxResult:
        """The tax on ``amount_minor`` cents at ``venue_address``, or at the venue
        ``(tenant_id, venue_id)``, sold on ``on_date`` (default: today where the venue is).
        Reads only."""
        if (venue_address is None) == (venue is None):
            raise InvalidInputError(
                "Validation failed",
                details=(("venueAddress", "give either venueAddress or venueId"),),
            )
        now = self.clock()
        if venue is not None:
            found = await self.catalog.get_venue(*venue)
            if found is None:
                raise VenueNotFoundError(f"venue {venue[1]} does not exist")
            address, zone_date = found.address, found.local_date(now)
        else:
            assert venue_address is not None
            address = venue_address
            zone_date = now.astimezone(_zone(address.state)).date()
        return self.calculator.calculate(
            Money(amount_minor, USD), address, customer_address, on_date or zone_date
        )

    async def track_nexus(self) -> int:
        """Bring every tenant's nexus totals up to date from the collections; for each
        state whose threshold is now met for the first time in a year, mark it crossed
        and emit ``tax.nexus_threshold_crossed`` (naming the sale that crossed it) through
        the outbox, in the same transaction: once per tenant, state and year. Returns the
        crossings. Run by the ``track_nexus`` job and ``tt tax nexus``; reruns are safe."""
        crossings = 0
        async with self.uow() as tx:
            for tenant, state, year, totals in await tx.nexus.sums():
                row = await tx.nexus.set_totals(tenant, state, year, totals)
                threshold = self._threshold(state)
                if threshold is None or row.crossed_at is not None or not threshold.is_met(totals):
                    continue
                if not await tx.nexus.mark_crossed(tenant, state, year):
                    continue
                crossing = await self._crossing_sale(tx, tenant, state, year, threshold)
                await tx.outbox.append(
                    tenant_id=tenant,
                    event_type=NEXUS_CROSSED_EVENT,
                    aggregate_type="tax_nexus",
                    aggregate_id=uuid.uuid5(tenant, f"nexus:{state}:{year}"),
                    data=_crossed_event(row, threshold, crossing),
                )
                crossings += 1
        return crossings

    @staticmethod
    async def _crossing_sale(
        tx: TaxTransaction,
        tenant: uuid.UUID,
        state: str,
        year: int,
        threshold: NexusThreshold,
    ) -> uuid.UUID | None:
        totals = NexusTotals()
        for payment_id, cents in await tx.nexus.collections_in_order(tenant, state, year):
            totals = totals.plus_sale(cents)
            if threshold.is_met(totals):
                return payment_id
        return None

    async def nexus_table(self, tenant_id: uuid.UUID, year: int | None) -> list[NexusStatus]:
        rows = await self.store.nexus_rows(tenant_id, year)
        return [NexusStatus(row=row, threshold=self._threshold(row.state)) for row in rows]

    def _threshold(self, state: str) -> NexusThreshold | None:
        try:
            return self.nexus.threshold(state)
        except UnknownJurisdictionError:
            return None

    async def put_payee(self, tenant_id: uuid.UUID, user_id: uuid.UUID, payee: Payee) -> None:
        """The name, TIN and address the user's forms are made out to (replaces any)."""
        await self.store.put_payee(tenant_id, user_id, payee)

    async def record_disposition(
        self, tenant_id: uuid.UUID, disposition_id: uuid.UUID, disposition: Disposition
    ) -> bool:
        """Record a resale of a ticket NFT by ``disposition.user_id`` (a UUID) for its
        Form 1099-DA. Idempotent per ``disposition_id`` (the resale's id): False when it was
        recorded before. Moves no money."""
        try:
            uuid.UUID(disposition.user_id)
        except ValueError:
            raise InvalidInputError(
                "Validation failed", details=(("userId", "must be a UUID"),)
            ) from None
        return await self.store.add_disposition(tenant_id, disposition_id, disposition)

    async def generate_forms(
        self,
        tenant_id: uuid.UUID,
        tax_year: int,
        *,
        progress: Callable[[Sequence[uuid.UUID]], Iterable[uuid.UUID]] = lambda users: users,
    ) -> FormsReport:
        """Build and store the Form 1099-DA of every user whose proceeds in ``tax_year``
        exceed $600.00. Safe to rerun: one form per user and year, rewritten only when its
        content changed. Users without a payee record are listed, not given a form."""
        if tax_year < FIRST_REPORTABLE_DAY.year:
            raise InvalidInputError(
                "Validation failed",
                details=(
                    ("year", f"Form 1099-DA covers tax years from {FIRST_REPORTABLE_DAY.year}"),
                ),
            )
        by_user: dict[uuid.UUID, list[Disposition]] = defaultdict(list)
        for disposition in await self.store.dispositions(tenant_id, year=tax_year):
            by_user[uuid.UUID(disposition.user_id)].append(disposition)
        payees = await self.store.payees(tenant_id, list(by_user))
        counts: dict[str, int] = defaultdict(int)
        missing: list[uuid.UUID] = []
        for user in progress(list(by_user)):
            dispositions = by_user[user]
            if not is_reportable(tax_year, sum(d.gross_proceeds_cents for d in dispositions)):
                counts["not_required"] += 1
                continue
            payee = payees.get(user)
            if payee is None:
                missing.append(user)
                continue
            form = form_for(str(user), tax_year, dispositions, payee, payer=self.payer)
            assert form is not None  # over the threshold
            outcome = await self.store.save_form(
                tenant_id,
                user,
                tax_year,
                form_data=form.as_json(),
                total_proceeds=form.gross_proceeds_cents,
                total_cost_basis=sum(d.cost_basis_cents or 0 for d in form.dispositions),
                transaction_count=len(form.dispositions),
                render_pdf=functools.partial(self.render_pdf, form),
            )
            counts[outcome] += 1
        return FormsReport(
            tax_year=tax_year,
            users=len(by_user),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            not_required=counts["not_required"],
            missing_payee=tuple(missing),
        )

    async def years(self, principal: Principal, year: int | None = None) -> list[UserYear]:
        """The caller's dispositions per year (all years, or ``year``), with their forms."""
        dispositions = await self.store.dispositions(
            principal.tenant_id, user_id=principal.user_id, year=year
        )
        forms = {
            form.tax_year: form
            for form in await self.store.forms(principal.tenant_id, principal.user_id, year)
        }
        per_year: dict[int, list[Disposition]] = defaultdict(list)
        for disposition in dispositions:
            per_year[disposition.sold_on.year].append(disposition)
        if year is not None:
            per_year.setdefault(year, [])
        return [
            UserYear(
                year=each,
                proceeds_cents=sum(d.gross_proceeds_cents for d in per_year[each]),
                cost_basis_cents=sum(d.cost_basis_cents or 0 for d in per_year[each]),
                transaction_count=len(per_year[each]),
                form=forms.get(each),
            )
            for each in sorted(per_year.keys() | forms.keys())
        ]

    async def form_pdf(self, principal: Principal, year: int) -> bytes:
        """The PDF of the caller's form for ``year``; ``NotFoundError`` when there is none."""
        pdf = await self.store.form_pdf(principal.tenant_id, principal.user_id, year)
        if pdf is None:
            raise NotFoundError(f"no Form 1099-DA for {year}", code="TAX_FORM_NOT_FOUND")
        return pdf


def _zone(state: str) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(default_time_zone(state))
