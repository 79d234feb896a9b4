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

import csv
import datetime
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from importlib.resources.abc import Traversable
from typing import Generic, TypeVar

import attrs

from tt_tax.errors import RateTableError
from tt_tax.places import Place, place_key
from tt_tax.rates import Rate, StateRate, bps_from_percent
from tt_tax.states import STATES_AND_DC, USPS_STATE_CODES

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

_Row = Mapping[str, str]
_T = TypeVar("_T")


@attrs.frozen(kw_only=True)
class RateTables:
    """Every row of one directory of rate tables, parsed and checked."""

    states: tuple[StateRate, ...]
    local_rates: tuple[Rate, ...]
    special_levies: tuple[Rate, ...]
    places: tuple[Place, ...]


@attrs.frozen(kw_only=True)
class _Located(Generic[_T]):
    """A parsed row and where it came from, for error messages."""

    where: str
    state: str
    value: _T


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.found.append((where, message))

    def raise_if_any(self, directory: Traversable) -> None:
        if self.found:
            listing = "; ".join(f"{where}: {message}" for where, message in self.found)
            raise RateTableError(
                f"invalid tax rate tables in {directory}: {listing}", details=self.found
            )


def read_rate_tables(directory: Traversable) -> RateTables:
    """Parse and check the four table files in ``directory`` (a ``Path`` will do).

    Checks that every state and DC has a rate, that rates are 0..20%, that no jurisdiction
    has two rates in force on one day (and no state a day without one between its first
    and last), and that places name known jurisdictions and claim each city and ZIP once.
    Raises ``RateTableError`` listing every problem; reads files, changes nothing.
    """
    problems = _Problems()
    states = _parse_file(directory / STATE_RATES_FILE, _STATE_COLUMNS, _state_row, problems)
    local_rates = _parse_file(directory / LOCAL_RATES_FILE, _RATE_COLUMNS, _rate_row, problems)
    special_levies = _parse_file(
        directory / SPECIAL_LEVIES_FILE, _RATE_COLUMNS, _rate_row, problems
    )
    places = _parse_file(directory / PLACES_FILE, _PLACE_COLUMNS, _place_row, problems)

    _check_states_present(states, problems)
    _check_dates(STATE_RATES_FILE, states, problems, contiguous=True)
    _check_dates(LOCAL_RATES_FILE, local_rates, problems, contiguous=False)
    _check_dates(SPECIAL_LEVIES_FILE, special_levies, problems, contiguous=False)
    _check_places(places, states, local_rates, special_levies, problems)
    problems.raise_if_any(directory)
    return RateTables(
        states=tuple(row.value for row in states),
        local_rates=tuple(row.value for row in local_rates),
        special_levies=tuple(row.value for row in special_levies),
        places=tuple(row.value for row in places),
    )


# --- reading rows -------------------------------------------------------------------------


def _parse_file(
    file: Traversable,
    columns: Sequence[str],
    parse: Callable[[_Row], tuple[str, _T]],
    problems: _Problems,
) -> list[_Located[_T]]:
    parsed: list[_Located[_T]] = []
    for where, row in _read_rows(file, columns, problems):
        try:
            state, value = parse(row)
        except (ValueError, TypeError) as exc:
            problems.add(where, str(exc))
        else:
            parsed.append(_Located(where=where, state=state, value=value))
    return parsed


def _read_rows(
    file: Traversable, columns: Sequence[str], problems: _Problems
) -> list[tuple[str, _Row]]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(file.name, f"cannot be read: {exc}")
        return []
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        problems.add(file.name, "is empty")
        return []
    header_number, header_line = numbered[0]
    header = tuple(field.strip() for field in _split_csv_line(header_line))
    if header != tuple(columns):
        problems.add(
            f"{file.name}:{header_number}", f"header must be {','.join(columns)}, not {header_line}"
        )
        return []
    rows: list[tuple[str, _Row]] = []
    for number, line in numbered[1:]:
        where = f"{file.name}:{number}"
        fields = _split_csv_line(line)
        if len(fields) != len(columns):
            problems.add(where, f"has {len(fields)} fields, expected {len(columns)}")
            continue
        rows.append((where, dict(zip(columns, (field.strip() for field in fields), strict=True))))
    if not rows:
        problems.add(file.name, "has no rows")
    return rows


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line]))


def _state_row(row: _Row) -> tuple[str, StateRate]:
    state = _state_code(row["state"])
    rate = StateRate(
        jurisdiction=state,
        name=_text(row["name"], "name"),
        rate_bps=bps_from_percent(row["rate_percent"]),
        admissions_taxable=_boolean(row["admissions_taxable"], "admissions_taxable"),
        effective_from=_date(row["effective_from"], "effective_from"),
        effective_to=_optional_date(row["effective_to"], "effective_to"),
    )
    return state, rate


def _rate_row(row: _Row) -> tuple[str, Rate]:
    rate = Rate(
        jurisdiction=_text(row["jurisdiction"], "jurisdiction"),
        name=_text(row["name"], "name"),
        rate_bps=bps_from_percent(row["rate_percent"]),
        effective_from=_date(row["effective_from"], "effective_from"),
        effective_to=_optional_date(row["effective_to"], "effective_to"),
    )
    return _state_code(row["state"]), rate


def _place_row(row: _Row) -> tuple[str, Place]:
    state = _state_code(row["state"])
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


def _state_code(text: str) -> str:
    if text not in USPS_STATE_CODES:
        raise ValueError(f"state {text!r} is not an upper-case USPS state code")
    return text


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


def _check_states_present(states: Sequence[_Located[StateRate]], problems: _Problems) -> None:
    missing = STATES_AND_DC - {row.state for row in states}
    if missing:
        problems.add(STATE_RATES_FILE, f"no rate for {', '.join(sorted(missing))}")


def _check_dates(
    file_name: str,
    rows: Sequence[_Located[Rate]] | Sequence[_Located[StateRate]],
    problems: _Problems,
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
    places: Sequence[_Located[Place]],
    states: Sequence[_Located[StateRate]],
    local_rates: Sequence[_Located[Rate]],
    special_levies: Sequence[_Located[Rate]],
    problems: _Problems,
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
    rows: Sequence[_Located[Rate]],
    state_codes: set[str],
    problems: _Problems,
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
