"""tt_money: money in integer minor units, basis-point maths, allocation and the fee schedule.

No float ever touches an amount, every rounding names its mode, and every split adds back
up to what was split. Depends on attrs and the standard library only.
"""

from tt_money.allocation import allocate
from tt_money.basis_points import percent_of, require_rate_bps
from tt_money.currency import (
    AUD,
    CAD,
    EUR,
    GBP,
    JPY,
    SUPPORTED_CURRENCIES,
    USD,
    Currency,
    currency_for,
)
from tt_money.errors import (
    CurrencyMismatchError,
    InvalidInputError,
    MoneyError,
    TicketTokenError,
    UnsupportedCurrencyError,
)
from tt_money.fees import (
    FeeBreakdown,
    FeeLine,
    FeeLineKind,
    FeeSchedule,
    TierRule,
    VenueFeeTerms,
    VenueTier,
    build_fee_breakdown,
)
from tt_money.money import Money, sum_money
from tt_money.rounding import Rounding, divide

__all__ = [
    "AUD",
    "CAD",
    "EUR",
    "GBP",
    "JPY",
    "SUPPORTED_CURRENCIES",
    "USD",
    "Currency",
    "CurrencyMismatchError",
    "FeeBreakdown",
    "FeeLine",
    "FeeLineKind",
    "FeeSchedule",
    "InvalidInputError",
    "Money",
    "MoneyError",
    "Rounding",
    "TicketTokenError",
    "TierRule",
    "UnsupportedCurrencyError",
    "VenueFeeTerms",
    "VenueTier",
    "allocate",
    "build_fee_breakdown",
    "currency_for",
    "divide",
    "percent_of",
    "require_rate_bps",
    "sum_money",
]
