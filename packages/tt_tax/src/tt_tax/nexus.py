"""Economic nexus: when a state's sales and transaction counts oblige us to collect its tax.

Thresholds are data (``data/nexus_thresholds.csv``), one row per state and DC. Totals are
kept per state and calendar year by the caller; everything here is pure.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable

import attrs

from tt_tax.errors import UnknownJurisdictionError
from tt_tax.states import STATES_AND_DC
from tt_tax.table_files import Problems, Row, parse_rows, state_code

__all__ = [
    "NEXUS_THRESHOLDS_FILE",
    "Combinator",
    "MeasurementPeriod",
    "NexusCheck",
    "NexusThreshold",
    "NexusTotals",
    "NexusTracker",
    "read_nexus_thresholds",
]

NEXUS_THRESHOLDS_FILE = "nexus_thresholds.csv"
_COLUMNS = (
    "state", "sales_tax", "sales_cents", "transactions", "combinator", "period", "note",
)  # fmt: skip


class Combinator(enum.Enum):
    """How a state combines its two tests: either one suffices, or both must be met."""

    OR = "or"
    AND = "and"


class MeasurementPeriod(enum.Enum):
    """The period a state measures sales over (informational: we count per calendar year)."""

    PREVIOUS_OR_CURRENT_CALENDAR_YEAR = "previous_or_current_calendar_year"
    PREVIOUS_CALENDAR_YEAR = "previous_calendar_year"
    PRECEDING_12_MONTHS = "preceding_12_months"
    PRECEDING_4_QUARTERS = "preceding_4_quarters"
    TWELVE_MONTHS_ENDING_SEPTEMBER_30 = "12_months_ending_september_30"
    NONE = "none"


def _non_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int, not {value!r}")
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


def _positive_or_none(
    _instance: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int, not {value!r}")
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, not {value}")


@attrs.frozen
class NexusTotals:
    """A state's running totals for one calendar year: sales in cents, and their count."""

    sales_cents: int = attrs.field(default=0, validator=_non_negative)
    transactions: int = attrs.field(default=0, validator=_non_negative)

    def plus_sale(self, sale_cents: int) -> NexusTotals:
        """These totals with one more sale of ``sale_cents`` (>= 0)."""
        return NexusTotals(self.sales_cents + sale_cents, self.transactions + 1)


@attrs.frozen(kw_only=True)
class NexusThreshold:
    """One state's economic-nexus test. A state without sales tax has neither threshold
    and is never met; otherwise at least one, and ``combinator`` exactly when both."""

    state: str
    sales_tax: bool
    sales_cents: int | None = attrs.field(default=None, validator=_positive_or_none)
    transactions: int | None = attrs.field(default=None, validator=_positive_or_none)
    combinator: Combinator | None = None
    period: MeasurementPeriod
    note: str = ""

    def __attrs_post_init__(self) -> None:
        tests = (self.sales_cents is not None) + (self.transactions is not None)
        if not self.sales_tax:
            if tests or self.combinator is not None:
                raise ValueError(f"{self.state} has no sales tax, so it can have no threshold")
            if self.period is not MeasurementPeriod.NONE:
                raise ValueError(f"{self.state} has no sales tax, so its period must be none")
            return
        if tests == 0:
            raise ValueError(f"{self.state} has sales tax but no threshold")
        if self.period is MeasurementPeriod.NONE:
            raise ValueError(f"{self.state} has sales tax, so it needs a measurement period")
        if (tests == 2) != (self.combinator is not None):
            raise ValueError(
                f"{self.state}: a combinator (or/and) is needed exactly when both the sales "
                "and the transaction thresholds are set"
            )

    def is_met(self, totals: NexusTotals) -> bool:
        """Whether ``totals`` reach the threshold (a total equal to it counts)."""
        if not self.sales_tax:
            return False
        sales = self.sales_cents is not None and totals.sales_cents >= self.sales_cents
        count = self.transactions is not None and totals.transactions >= self.transactions
        if self.combinator is Combinator.AND:
            return sales and count
        return sales or count

    def crossed_by(self, before: NexusTotals, sale_cents: int) -> bool:
        """Whether a sale of ``sale_cents`` on top of ``before`` is the one that first meets
        the threshold: not met before it, met after it. Totals only grow, so in any
        sequence of sales exactly one sale crosses, or none does."""
        return not self.is_met(before) and self.is_met(before.plus_sale(sale_cents))


@attrs.frozen(kw_only=True)
class NexusCheck:
    """What one sale did to a state's totals for ``year``; ``crossed`` is true for the one
    sale that first met the threshold (the caller emits ``tax.nexus_threshold_crossed``)."""

    state: str
    year: int
    before: NexusTotals
    after: NexusTotals
    crossed: bool
    threshold: NexusThreshold


class NexusTracker:
    """Each state's threshold, and the check of a sale against a state's yearly totals."""

    def __init__(self, thresholds: Iterable[NexusThreshold]) -> None:
        self._thresholds = {threshold.state: threshold for threshold in thresholds}

    @classmethod
    def load(cls) -> NexusTracker:
        """The thresholds shipped with tt_tax, read and checked once per process.

        Raises ``RateTableError`` if the shipped file is broken.
        """
        return _bundled()

    @property
    def thresholds(self) -> tuple[NexusThreshold, ...]:
        """Every state's threshold, by state code."""
        return tuple(self._thresholds[state] for state in sorted(self._thresholds))

    def threshold(self, state: str) -> NexusThreshold:
        """``state``'s threshold; ``UnknownJurisdictionError`` for a state without one."""
        threshold = self._thresholds.get(state)
        if threshold is None:
            raise UnknownJurisdictionError(
                f"no economic-nexus threshold for {state}",
                details=[("state", f"nexus for {state} is not tracked")],
            )
        return threshold

    def check_sale(self, state: str, year: int, totals: NexusTotals, sale_cents: int) -> NexusCheck:
        """A sale of ``sale_cents`` (>= 0, one transaction) into ``state`` in calendar
        ``year``, whose totals so far that year are ``totals``.

        Pure: the caller stores ``after`` and, when ``crossed``, emits the event, in the
        same transaction as the sale so that a crossing is recorded exactly once.
        """
        if isinstance(sale_cents, bool) or not isinstance(sale_cents, int) or sale_cents < 0:
            raise ValueError(f"sale_cents must be a non-negative int, not {sale_cents!r}")
        threshold = self.threshold(state)
        return NexusCheck(
            state=state,
            year=year,
            before=totals,
            after=totals.plus_sale(sale_cents),
            crossed=threshold.crossed_by(totals, sale_cents),
            threshold=threshold,
        )


def read_nexus_thresholds(file: Traversable) -> tuple[NexusThreshold, ...]:
    """Parse and check a nexus thresholds file (a ``Path`` will do): every state and DC
    exactly once, each row consistent. Raises ``RateTableError`` listing every problem."""
    problems = Problems()
    rows = parse_rows(file, _COLUMNS, _threshold_row, problems)
    seen: dict[str, str] = {}
    for row in rows:
        first = seen.setdefault(row.state, row.where)
        if first != row.where:
            problems.add(row.where, f"{row.state} already has a threshold at {first}")
    missing = STATES_AND_DC - seen.keys()
    if missing:
        problems.add(file.name, f"no threshold for {', '.join(sorted(missing))}")
    problems.raise_if_any(f"nexus thresholds in {file}")
    return tuple(row.value for row in rows)


def _threshold_row(row: Row) -> tuple[str, NexusThreshold]:
    state = state_code(row["state"])
    if state not in STATES_AND_DC:
        raise ValueError(f"{state} is not a state or DC")
    if row["sales_tax"] not in {"true", "false"}:
        raise ValueError(f"sales_tax must be true or false, not {row['sales_tax']!r}")
    threshold = NexusThreshold(
        state=state,
        sales_tax=row["sales_tax"] == "true",
        sales_cents=_optional_count(row["sales_cents"], "sales_cents"),
        transactions=_optional_count(row["transactions"], "transactions"),
        combinator=Combinator(row["combinator"]) if row["combinator"] else None,
        period=MeasurementPeriod(row["period"]),
        note=row["note"],
    )
    return state, threshold


def _optional_count(text: str, column: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{column} must be a whole number, not {text!r}")
    return int(text)


@functools.cache
def _bundled() -> NexusTracker:
    return NexusTracker(
        read_nexus_thresholds(resources.files("tt_tax") / "data" / NEXUS_THRESHOLDS_FILE)
    )
