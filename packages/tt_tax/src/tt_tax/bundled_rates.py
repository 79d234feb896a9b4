"""The rate tables shipped inside this package, as a ``RateSource``."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TypeVar

from tt_tax.address import Address
from tt_tax.errors import TaxRateUnavailableError, UnknownJurisdictionError
from tt_tax.places import find_place
from tt_tax.rate_tables import RateTables, read_rate_tables
from tt_tax.rates import ApplicableRates, Rate

__all__ = ["BundledRates"]

_R = TypeVar("_R", bound=Rate)


class BundledRates:
    """Rates from a directory of CSV tables (see ``rate_tables``), by default the ones in
    ``tt_tax/data``. Immutable once built; safe to share between threads."""

    def __init__(self, tables: RateTables) -> None:
        self._states = _by_jurisdiction(tables.states)
        self._local_rates = _by_jurisdiction(tables.local_rates)
        self._special_levies = _by_jurisdiction(tables.special_levies)
        self._places = tables.places

    @classmethod
    def load(cls) -> BundledRates:
        """The tables bundled with tt_tax, read and checked once per process.

        Raises ``RateTableError`` if the shipped files are broken.
        """
        return _bundled()

    @classmethod
    def from_directory(cls, directory: Traversable) -> BundledRates:
        """Rates from the table files in ``directory`` (a ``pathlib.Path`` will do).

        Raises ``RateTableError`` listing every problem in the files. Not cached.
        """
        return cls(read_rate_tables(directory))

    @property
    def states(self) -> frozenset[str]:
        """The state codes these tables hold rates for."""
        return frozenset(self._states)

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        """The state rate in force at ``address`` on ``on_date``, the local rate and special
        levies of the place the address lies in (by city, else ZIP), if any.

        Raises ``UnknownJurisdictionError`` for a state without tables and
        ``TaxRateUnavailableError`` when the state has no rate in force on ``on_date``.
        A local or special jurisdiction with no rate in force that day is simply absent.
        """
        state_rates = self._states.get(address.state)
        if state_rates is None:
            raise UnknownJurisdictionError(
                f"no sales tax rates for {address.state}",
                details=[("state", f"sales tax for {address.state} is not supported")],
            )
        state = _in_force(state_rates, on_date)
        if state is None:
            raise TaxRateUnavailableError(
                f"no {address.state} sales tax rate in force on {on_date.isoformat()}"
            )
        place = find_place(self._places, address)
        if place is None:
            return ApplicableRates(state=state)
        local_rates = (
            _in_force(self._local_rates.get(jurisdiction, ()), on_date)
            for jurisdiction in place.jurisdictions
        )
        special_levies = (
            _in_force(self._special_levies.get(jurisdiction, ()), on_date)
            for jurisdiction in place.jurisdictions
        )
        return ApplicableRates(
            state=state,
            local=next((rate for rate in local_rates if rate is not None), None),
            specials=tuple(rate for rate in special_levies if rate is not None),
        )


@functools.cache
def _bundled() -> BundledRates:
    return BundledRates.from_directory(resources.files("tt_tax") / "data")


def _by_jurisdiction(rates: Iterable[_R]) -> dict[str, tuple[_R, ...]]:
    grouped: defaultdict[str, list[_R]] = defaultdict(list)
    for rate in rates:
        grouped[rate.jurisdiction].append(rate)
    return {jurisdiction: tuple(group) for jurisdiction, group in grouped.items()}


def _in_force(rates: Sequence[_R], on_date: datetime.date) -> _R | None:
    # The tables guarantee at most one rate of a jurisdiction covers any day.
    return next((rate for rate in rates if rate.covers(on_date)), None)
