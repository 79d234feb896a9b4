"""TaxJar's sales tax rates (``GET /v2/rates/:zip``) as a ``RateSource``, on the ``taxjar`` SDK.

TaxJar knows sales tax rates; it does not know our business rules. So the state and local
rates come from TaxJar, while whether a state's sales tax reaches admission tickets, and
the special levies on admissions (Nashville's Entertainment Tax), come from ``taxability``
(the bundled tables).

The SDK parses responses with ``requests``' ``response.json()`` and its rate properties
with ``float()``: 0.07 would come back as 0.07000000000000000666. We hand the client our
own ``responder`` (a documented constructor argument) that parses the body with
``parse_float=Decimal``, so no rate is ever a float.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import NoReturn

import requests
import taxjar
from taxjar.exceptions import TaxJarError

from tt_tax.address import Address
from tt_tax.errors import RateSourceUnavailableError, UnknownJurisdictionError
from tt_tax.ports import RateSource
from tt_tax.rates import ApplicableRates, Rate, StateRate, TaxSource, bps_from_fraction

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "TaxJarRates"]

DEFAULT_TIMEOUT_SECONDS = 5.0
"""The SDK's own default; it is ``requests``' timeout, so it bounds the connect and each
read, not the whole exchange."""

_LOCAL_FIELDS = ("county_rate", "city_rate", "combined_district_rate")
# TaxJar answers today's rates only; a sale's date in the venue's time zone may be a day
# off the UTC date.
_CURRENT_WINDOW = datetime.timedelta(days=1)


def _utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


class TaxJarRates:
    """Rates from TaxJar's API, answered with ``source=TaxSource.TAXJAR``.

    Raises ``RateSourceUnavailableError`` when TaxJar refuses the key (401/403), fails
    (5xx, 429), times out, cannot be reached, answers something unreadable or inconsistent,
    or is asked about a date other than today (it only knows current rates);
    ``UnknownJurisdictionError`` when TaxJar knows no rates for the ZIP (404). Wrap it in
    ``FallbackRates`` so the tables answer instead.
    """

    def __init__(
        self,
        api_key: str,
        *,
        taxability: RateSource,
        api_url: str = taxjar.DEFAULT_API_URL,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        today: Callable[[], datetime.date] = _utc_today,
    ) -> None:
        if not api_key:
            raise ValueError("a TaxJar API key is required")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._client = taxjar.Client(
            api_key=api_key,
            api_url=api_url.rstrip("/"),
            options={"timeout": timeout_seconds},
            responder=_rate_from_response,
        )
        self._taxability = taxability
        self._today = today

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        """TaxJar's state and local rates at ``address`` (today's), with ``taxability``'s
        admissions rule and special levies. One HTTP request; no other side effects."""
        today = self._today()
        if abs(on_date - today) > _CURRENT_WINDOW:
            raise RateSourceUnavailableError(
                f"TaxJar answers current rates only, not those of {on_date.isoformat()}"
            )
        rules = self._taxability.rates_for(address, on_date)
        location = {"city": address.city, "state": address.state, "country": address.country}
        if address.street is not None:
            location["street"] = address.street
        try:
            answer: Mapping[str, object] = self._client.rates_for_location(address.zip5, location)
        except (TaxJarError, requests.RequestException) as exc:
            raise RateSourceUnavailableError(f"TaxJar did not answer: {exc}") from exc
        return _applicable_rates(answer, address, on_date, rules)


def _rate_from_response(response: requests.Response) -> Mapping[str, object]:
    """The SDK's responder: the ``rate`` object of a 2xx answer, numbers as ``Decimal``."""
    status = response.status_code
    body = _json_or_none(response)
    if status == 404:
        raise UnknownJurisdictionError(
            f"TaxJar knows no rates here: {_detail(body, response)}",
            details=[("zip", "TaxJar has no rates for this ZIP")],
        )
    if not 200 <= status < 300:
        raise RateSourceUnavailableError(f"TaxJar answered {status}: {_detail(body, response)}")
    rate = body.get("rate") if isinstance(body, dict) else None
    if not isinstance(rate, dict):
        raise RateSourceUnavailableError("TaxJar answered without a rate object")
    return rate


def _json_or_none(response: requests.Response) -> object:
    try:
        return json.loads(response.content, parse_float=Decimal, parse_constant=_no_constant)
    except ValueError:
        return None


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a rate")


def _detail(body: object, response: requests.Response) -> str:
    if isinstance(body, dict):
        return f"{body.get('error', response.reason)}: {body.get('detail', '')}".rstrip(": ")
    return str(response.reason)


def _applicable_rates(
    answer: Mapping[str, object],
    address: Address,
    on_date: datetime.date,
    rules: ApplicableRates,
) -> ApplicableRates:
    state_code = answer.get("state")
    if state_code != address.state:
        raise RateSourceUnavailableError(
            f"TaxJar answered rates for state {state_code!r}, not {address.state}"
        )
    state_bps = _bps(answer, "state_rate")
    local_bps = sum((_bps(answer, field) for field in _LOCAL_FIELDS), Decimal(0))
    combined_bps = _bps(answer, "combined_rate")
    if state_bps + local_bps != combined_bps:
        raise RateSourceUnavailableError(
            f"TaxJar's rates for {address.zip5} do not add up: {state_bps} + {local_bps} bp "
            f"is not the combined {combined_bps} bp"
        )
    try:
        state = StateRate(
            jurisdiction=address.state,
            name=rules.state.name,
            rate_bps=state_bps,
            admissions_taxable=rules.state.admissions_taxable,
            effective_from=on_date,
            effective_to=on_date,
        )
        local = _local_rate(answer, address, on_date, local_bps) if local_bps else None
    except ValueError as exc:
        raise RateSourceUnavailableError(f"TaxJar answered an impossible rate: {exc}") from exc
    return ApplicableRates(
        state=state, local=local, specials=rules.specials, source=TaxSource.TAXJAR
    )


def _local_rate(
    answer: Mapping[str, object], address: Address, on_date: datetime.date, bps: Decimal
) -> Rate:
    county = _text(answer, "county")
    city = _text(answer, "city")
    place = county or city or address.zip5
    where = ", ".join(part for part in (f"{county} County" if county else "", city) if part)
    return Rate(
        jurisdiction=f"{address.state}-{place}".upper(),
        name=f"Local Sales Tax ({where})" if where else "Local Sales Tax",
        rate_bps=bps,
        effective_from=on_date,
        effective_to=on_date,
    )


def _bps(answer: Mapping[str, object], field: str) -> Decimal:
    """A rate field as exact basis points. TaxJar documents rates as strings ("0.0625")
    and sends JSON numbers in places; both are read as decimals, a missing one is zero
    except ``state_rate`` and ``combined_rate``."""
    value = answer.get(field)
    if value is None and field not in {"state_rate", "combined_rate"}:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise RateSourceUnavailableError(f"TaxJar's {field} is not a number: {value!r}")
    try:
        fraction = Decimal(value)
    except InvalidOperation:
        raise RateSourceUnavailableError(f"TaxJar's {field} is not a number: {value!r}") from None
    if not fraction.is_finite() or fraction < 0:
        raise RateSourceUnavailableError(f"TaxJar's {field} is not a rate: {value!r}")
    return bps_from_fraction(fraction)


def _text(answer: Mapping[str, object], field: str) -> str:
    value = answer.get(field)
    return " ".join(value.split()).title() if isinstance(value, str) else ""
