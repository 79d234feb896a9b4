"""What the settlement context reports and groups by."""

from __future__ import annotations

import uuid

import attrs

from tt_money import Money


@attrs.frozen(kw_only=True)
class VenueKey:
    """One venue's balance in one currency: what a settlement locks and settles."""

    tenant_id: uuid.UUID
    venue_id: uuid.UUID
    currency: str


@attrs.frozen(kw_only=True)
class SettlementReport:
    """What one settlement run did (amounts in minor units, per currency)."""

    sales_settled: int = 0
    settled: dict[str, int] = attrs.field(factory=dict)
    reserved: dict[str, int] = attrs.field(factory=dict)
    reserves_released: int = 0
    released: dict[str, int] = attrs.field(factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "salesSettled": self.sales_settled,
            "settled": dict(self.settled),
            "reserved": dict(self.reserved),
            "reservesReleased": self.reserves_released,
            "released": dict(self.released),
        }

    def add(self, totals: dict[str, int], amount: Money) -> None:
        totals[amount.currency.code] = totals.get(amount.currency.code, 0) + amount.minor
