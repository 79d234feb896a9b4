"""Calculate the fees a buyer will pay for tickets at a venue (spec: calculate-fees).

Steps: load the venue; find its tier from the trailing 30 days of completed sales (or its
override); tax the ticket price at the venue's location on the sale date; price gas per
ticket and pick the cheapest chain; assemble the breakdown whose total is the sum of its
lines. Reads only; moves no money.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import attrs

from tt_chain import Blockchain, GasChargePolicy, GasEstimator, GasQuote, recommend_blockchain
from tt_money import FeeBreakdown, FeeSchedule, Money, build_fee_breakdown
from tt_money.errors import InvalidInputError
from tt_payments.auth.identity import Principal
from tt_payments.catalog import Venue, VenueNotFoundError
from tt_payments.catalog.ports import Catalog, SalesVolume
from tt_payments.catalog.service import venue_and_event
from tt_payments.clock import utcnow
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.pricing import AskedLine, PricedLine, price_lines
from tt_tax import TaxCalculator, TaxResult

TIER_WINDOW = dt.timedelta(days=30)
MAX_TICKETS_PER_QUOTE = 100
"""The most tickets one fee quote covers; the API schema uses the same bound."""


@attrs.frozen(kw_only=True)
class FeeQuote:
    venue: Venue
    breakdown: FeeBreakdown
    tax: TaxResult
    gas_quotes: tuple[GasQuote, ...]
    recommended_blockchain: Blockchain


@attrs.frozen(kw_only=True)
class FeeCalculator:
    """The collaborators of a fee calculation, wired once by ``bootstrap``."""

    catalog: Catalog
    sales_volume: SalesVolume
    schedule: FeeSchedule
    tax: TaxCalculator
    gas: GasEstimator
    gas_charge: GasChargePolicy
    tickets: TicketCatalog
    """Prices ticket lines (``calculate_for_tickets``) as payments will charge them."""

    async def calculate(
        self,
        principal: Principal,
        *,
        venue_id: uuid.UUID,
        amount_minor: int,
        ticket_count: int,
        on_date: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> FeeQuote:
        """The fee breakdown for ``ticket_count`` tickets worth ``amount_minor`` in total."""
        if amount_minor < 1:
            raise InvalidInputError(
                "amount must be a positive number of cents",
                details=(("amount", "must be a positive integer number of cents"),),
            )
        if not 1 <= ticket_count <= MAX_TICKETS_PER_QUOTE:
            raise InvalidInputError(
                "ticketCount is out of range",
                details=(("ticketCount", f"must be between 1 and {MAX_TICKETS_PER_QUOTE}"),),
            )
        venue = await self.catalog.get_venue(principal.tenant_id, venue_id)
        if venue is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        return await self.quote(
            venue,
            ticket_price=Money(amount_minor, venue.currency),
            ticket_count=ticket_count,
            on_date=on_date,
            now=now,
        )

    async def calculate_for_tickets(
        self,
        principal: Principal,
        *,
        venue_id: uuid.UUID,
        event_id: uuid.UUID,
        lines: Sequence[AskedLine],
        on_date: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[FeeQuote, list[PricedLine]]:
        """The fee breakdown for ticket lines of an event, priced by the ticket catalog (the
        price a payment for them would charge now), with the priced lines."""
        if not 1 <= sum(line.quantity for line in lines) <= MAX_TICKETS_PER_QUOTE:
            raise InvalidInputError(
                "too many tickets for one quote",
                details=(("tickets", f"must hold 1 to {MAX_TICKETS_PER_QUOTE} tickets"),),
            )
        venue, event = await venue_and_event(self.catalog, principal.tenant_id, venue_id, event_id)
        priced = await price_lines(self.tickets, principal.tenant_id, event.id, lines)
        subtotal = Money(0, venue.currency)
        for line in priced:
            subtotal += line.subtotal
        quote = await self.quote(
            venue,
            ticket_price=subtotal,
            ticket_count=sum(line.quantity for line in priced),
            on_date=on_date,
            now=now,
        )
        return quote, priced

    async def quote(
        self,
        venue: Venue,
        *,
        ticket_price: Money,
        ticket_count: int,
        on_date: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> FeeQuote:
        """The fee breakdown at a venue the caller has already loaded (the payment path)."""
        current = now or utcnow()
        sale_date = on_date or venue.local_date(current)
        volume = await self.sales_volume.completed_volume(
            venue.tenant_id, venue.id, venue.currency, current - TIER_WINDOW, current
        )
        tax = self.tax.calculate(ticket_price, venue.address, None, sale_date)
        quotes = await self.gas.quotes()
        gas_estimate = self.gas_charge.charge(ticket_count)
        breakdown = build_fee_breakdown(
            schedule=self.schedule,
            ticket_price=ticket_price,
            trailing_30d_volume=volume,
            terms=venue.fee_terms,
            gas_estimate=gas_estimate,
            state_tax=tax.state_tax,
            local_tax=tax.local_tax,
            special_tax=tax.special_tax,
        )
        return FeeQuote(
            venue=venue,
            breakdown=breakdown,
            tax=tax,
            gas_quotes=quotes,
            recommended_blockchain=recommend_blockchain(quotes),
        )
