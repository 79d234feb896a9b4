"""The USPS two-letter codes an address may carry, and which of them are states (or DC)."""

from __future__ import annotations

__all__ = ["STATES_AND_DC", "USPS_STATE_CODES"]

STATES_AND_DC: frozenset[str] = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
        "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
        "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
        "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip
"""The 50 states and the District of Columbia: the jurisdictions a rate table must cover."""

_TERRITORIES_AND_MILITARY: frozenset[str] = frozenset(
    {"AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI", "AA", "AE", "AP"}
)

USPS_STATE_CODES: frozenset[str] = STATES_AND_DC | _TERRITORIES_AND_MILITARY
"""Every code USPS accepts in the state field: states, DC, territories, freely associated
states and the military "states" (AA, AE, AP). A valid code need not be taxable by us."""
