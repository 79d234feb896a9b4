"""Reading and checking the rate table files (the CSVs under ``tt_tax/data``).

A directory of tables holds four files: ``state_rates.csv``, ``local_rates.csv``,
``special_levies.csv`` and ``places.csv``. Lines starting with ``#`` are comments. Rates
are percent strings turned into ``Decimal`` basis points; dates are ``YYYY-MM-DD`` and
inclusive, an empty ``effective_to`` meaning open-ended.

Loading fails loudly: any malformed row or inconsistency raises one ``RateTableError``
whose ``details`` list every problem found as ``(file:line, message)``. A file without rows
counts as broken (a truncated file is likelier than a deliberate one): a tax that ends gets
an ``effective_to``, it is not deleted.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from importlib.resources.abc import Traversable

import attrs

from tt_tax.places import Place, place_key
from tt_tax.rates import Rate, StateRate, bps_from_percent
from tt_tax.states import STATES_AND_DC
from tt_tax.table_files import Located, Problems, Row, parse_rows, state_code

__all__ = [
    "LOCAL_RATES_FILE",
    "PLACES_FILE",
    "SPECIAL_LEVIES_FILE",
    "STATE_RATES_FILE",
    "RateTables",
    "read_rate_tables",
]

STATE_RATES_FILE = "state_rates.csv"
LOCAL_RATES_FILE = "local_rates.csv"
SPECIAL_LEVIES_FILE = "special_levies.csv"
PLACES_FILE = "places.csv"

_STATE_COLUMNS = (
    "state", "name", "rate_percent", "admissions_taxable", "effective_from", "effective_to",
    "note",
)  # fmt: skip
_RATE_COLUMNS = (
    "jurisdiction", "state", "name", "rate_percent", "effective_from", "effective_to", "note",
)  # fmt: skip
_PLACE_COLUMNS = ("state", "cities", "zip_prefixes", "jurisdictions", "note")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZIP_PREFIX = re.compile(r"[0-9]{1,5}")
_LIST_SEPARATOR = "|"


@attrs.frozen(kw_only=True)
class RateTables:
    """Every row of one directory of rate tables, parsed and checked."""

    states: tuple[StateRate, ...]
    local_rates: tuple[Rate, ...]
    special_levies: tuple[Rate, ...]
    places: tuple[Place, ...]


def read_rate_tables(directory: Traversable) -> RateTables:
    """Parse and check the four table files in ``directory`` (a ``Path`` will do).

    Checks that every state and DC has a rate, that rates are 0..20%, that no jurisdiction
    has two rates in force on one day (and no state a day without one between its first
    and last), and that places name known jurisdictions and claim each city and ZIP once.
    Raises ``RateTableError`` listing every problem; reads files, changes nothing.
    """
    problems = Problems()
    states = parse_rows(directory / STATE_RATES_FILE, _STATE_COLUMNS, _state_row, problems)
    local_rates = parse_rows(directory / LOCAL_RATES_FILE, _RATE_COLUMNS, _rate_row, problems)
    special_levies = parse_rows(directory / SPECIAL_LEVIES_FILE, _RATE_COLUMNS, _rate_row, problems)
    places = parse_rows(directory / PLACES_FILE, _PLACE_COLUMNS, _place_row, problems)

    _check_states_present(states, problems)
    _check_dates(STATE_RATES_FILE, states, problems, contiguous=True)
    _check_dates(LOCAL_RATES_FILE, local_rates, problems, contiguous=False)
    _check_dates(SPECIAL_LEVIES_FILE, special_levies, problems, contiguous=False)
    _check_places(places, states, local_rates, special_levies, problems)
    problems.raise_if_any(f"tax rate tables in {directory}")
    return RateTables(
        states=tuple(row.value for row in states),
        local_rates=tuple(row.value for row in local_rates),
        special_levies=tuple(row.value for row in special_levies),
        places=tuple(row.value for row in places),
    )


# --- reading rows -------------------------------------------------------------------------


def _state_row(row: Row) -> tuple[str, StateRate]:
    state = state_code(row["state"])
    rate = StateRate(
        jurisdiction=state,
        name=_text(row["name"], "name"),
        rate_bps=bps_from_percent(row["rate_percent"]),
        admissions_taxable=_boolean(row["admissions_taxable"], "admissions_taxable"),
        effective_from=_date(row["effective_from"], "effective_from"),
        effective_to=_optional_date(row["effective_to"], "effective_to"),
    )
    return state, rate


def _rate_row(row: Row) -> tuple[str, Rate]:
    rate = Rate(
        jurisdiction=_text(row["jurisdiction"], "jurisdiction"),
        name=_text(row["name"], "name"),
        rate_bps=bps_from_percent(row["rate_percent"]),
        effective_from=_date(row["effective_from"], "effective_from"),
        effective_to=_optional_date(row["effective_to"], "effective_to"),
    )
    return state_code(row["state"]), rate


def _place_row(row: Row) -> tuple[str, Place]:
    state = state_code(row["state"])
    cities = _list(row["cities"])
    if not cities:
        raise ValueError("cities must name at least one city")
    zip_prefixes = _list(row["zip_prefixes"])
    for prefix in zip_prefixes:
        if _ZIP_PREFIX.fullmatch(prefix) is None:
            raise ValueError(f"zip prefix {prefix!r} must be 1 to 5 digits")
    jurisdictions = _list(row["jurisdictions"])
    if not jurisdictions:
        raise ValueError("jurisdictions must name at least one jurisdiction")
    place = Place(
        state=state,
        cities=frozenset(place_key(city) for city in cities),
        zip_prefixes=tuple(zip_prefixes),
        jurisdictions=tuple(jurisdictions),
    )
    return state, place


def _text(text: str, column: str) -> str:
    if not text:
        raise ValueError(f"{column} must not be empty")
    return text


def _boolean(text: str, column: str) -> bool:
    if text not in {"true", "false"}:
        raise ValueError(f"{column} must be true or false, not {text!r}")
    return text == "true"


def _date(text: str, column: str) -> datetime.date:
    if _DATE.fullmatch(text) is None:
        raise ValueError(f"{column} must be a YYYY-MM-DD date, not {text!r}")
    return datetime.date.fromisoformat(text)


def _optional_date(text: str, column: str) -> datetime.date | None:
    return _date(text, column) if text else None


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(_LIST_SEPARATOR) if item.strip()]


# --- checks across rows -------------------------------------------------------------------


def _check_states_present(states: Sequence[Located[StateRate]], problems: Problems) -> None:
    missing = STATES_AND_DC - {row.state for row in states}
    if missing:
        problems.add(STATE_RATES_FILE, f"no rate for {', '.join(sorted(missing))}")


def _check_dates(
    file_name: str,
    rows: Sequence[Located[Rate]] | Sequence[Located[StateRate]],
    problems: Problems,
    *,
    contiguous: bool,
) -> None:
    """No two rates of one jurisdiction may be in force on the same day; for states
    (``contiguous``) there may also be no day without one between the first and last."""
    by_jurisdiction: defaultdict[str, list[Rate]] = defaultdict(list)
    for row in rows:
        by_jurisdiction[row.value.jurisdiction].append(row.value)
    for jurisdiction, rates in by_jurisdiction.items():
        ordered = sorted(rates, key=lambda rate: rate.effective_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                problems.add(
                    file_name,
                    f"{jurisdiction}: rates from {earlier.effective_from} and from "
                    f"{later.effective_from} overlap",
                )
            elif contiguous and earlier.effective_to + datetime.timedelta(days=1) != (
                later.effective_from
            ):
                problems.add(
                    file_name,
                    f"{jurisdiction}: no rate between {earlier.effective_to} and "
                    f"{later.effective_from}",
                )


def _check_places(
    places: Sequence[Located[Place]],
    states: Sequence[Located[StateRate]],
    local_rates: Sequence[Located[Rate]],
    special_levies: Sequence[Located[Rate]],
    problems: Problems,
) -> None:
    """Places must name known jurisdictions of their own state, at most one of them local,
    and claim each city and ZIP once; every local or special jurisdiction needs a place."""
    state_codes = {row.state for row in states}
    local_state = _jurisdiction_states(local_rates, state_codes, problems)
    special_state = _jurisdiction_states(special_levies, state_codes, problems)
    city_owner: dict[tuple[str, str], str] = {}
    zip_owner: dict[tuple[str, str], str] = {}
    linked: set[str] = set()
    for row in places:
        place = row.value
        for city in sorted(place.cities):
            owner = city_owner.setdefault((place.state, city), row.where)
            if owner != row.where:
                problems.add(row.where, f"city {city!r} already belongs to {owner}")
        for prefix in place.zip_prefixes:
            for (state, other), owner in zip_owner.items():
                if state == place.state and (prefix.startswith(other) or other.startswith(prefix)):
                    problems.add(row.where, f"zip prefix {prefix} overlaps {other} of {owner}")
            zip_owner[(place.state, prefix)] = row.where
        locals_here = [j for j in place.jurisdictions if j in local_state]
        if len(locals_here) > 1:
            problems.add(row.where, f"more than one local jurisdiction: {', '.join(locals_here)}")
        for jurisdiction in place.jurisdictions:
            linked.add(jurisdiction)
            home = local_state.get(jurisdiction, special_state.get(jurisdiction))
            if home is None:
                problems.add(row.where, f"{jurisdiction} has no local rate or special levy")
            elif home != place.state:
                problems.add(row.where, f"{jurisdiction} is in {home}, not {place.state}")
    for file_name, jurisdictions in (
        (LOCAL_RATES_FILE, local_state),
        (SPECIAL_LEVIES_FILE, special_state),
    ):
        for jurisdiction in sorted(jurisdictions.keys() - linked):
            problems.add(file_name, f"{jurisdiction} is not linked from {PLACES_FILE}")


def _jurisdiction_states(
    rows: Sequence[Located[Rate]],
    state_codes: set[str],
    problems: Problems,
) -> dict[str, str]:
    """Each jurisdiction's state; all its rows must agree on one with a state rate."""
    states: dict[str, str] = {}
    for row in rows:
        jurisdiction = row.value.jurisdiction
        state = states.setdefault(jurisdiction, row.state)
        if state != row.state:
            problems.add(row.where, f"{jurisdiction} is in {state} on another row")
        if row.state not in state_codes:
            problems.add(row.where, f"state {row.state} has no state rate")
    return states
