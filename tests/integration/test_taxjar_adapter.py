"""TaxJarRates against a local HTTP server speaking TaxJar's documented v2 responses.

``GET /v2/rates/:zip`` answers (https://developers.taxjar.com/api/reference/#rates): a
``{"rate": {...}}`` object with rates as strings (the docs' examples) or JSON numbers, and
errors as ``{"error", "detail", "status"}``. The ZIP picks the behaviour.

Calls meant to be answered get a generous timeout, which costs nothing when they are.
Only the tests of a slow answer use a small one, and their answer is held until the test
ends (``held_answers``), so it is slower than any timeout however loaded the machine is.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from tt_money import USD, Money
from tt_tax import (
    Address,
    BundledRates,
    FallbackRates,
    RateSourceUnavailableError,
    TaxCalculator,
    TaxSource,
    UnknownJurisdictionError,
)
from tt_tax.adapters.taxjar import TaxJarRates

API_KEY = "taxjar-test-key"
TODAY = datetime.date(2026, 11, 26)
ANSWERED_TIMEOUT_SECONDS = 30.0
"""For calls the local server answers: only a stuck server ever reaches it."""
SLOW_TIMEOUT_SECONDS = 0.2
"""For the calls whose answer is held: small, since reaching it is the point."""

NASHVILLE = Address(street="1 Broadway", city="Nashville", state="TN", zip="37203")
SANTA_MONICA = Address(city="Santa Monica", state="CA", zip="90404")
DENVER_NUMBERS = Address(city="Denver", state="CO", zip="80202")
NOWHERE = Address(city="Nashville", state="TN", zip="37999")
BROKEN = Address(city="Nashville", state="TN", zip="37500")
SLOW = Address(city="Nashville", state="TN", zip="37501")
NOT_JSON = Address(city="Nashville", state="TN", zip="37502")
WRONG_SUM = Address(city="Nashville", state="TN", zip="37503")


def rate(zip_code: str, state: str, **fields: object) -> dict[str, object]:
    return {"rate": {"zip": zip_code, "country": "US", "state": state, **fields}}


# Rates as TaxJar's docs show them: strings.
ANSWERS: dict[str, dict[str, object]] = {
    "37203": rate(
        "37203",
        "TN",
        state_rate="0.07",
        county="DAVIDSON",
        county_rate="0.0275",
        city="NASHVILLE",
        city_rate="0.0",
        combined_district_rate="0.0",
        combined_rate="0.0975",
        freight_taxable=True,
    ),
    "90404": rate(
        "90404",
        "CA",
        state_rate="0.0625",
        county="LOS ANGELES",
        county_rate="0.01",
        city="SANTA MONICA",
        city_rate="0.0",
        combined_district_rate="0.025",
        combined_rate="0.0975",
        freight_taxable=False,
    ),
    "37503": rate(
        "37503",
        "TN",
        state_rate="0.07",
        county_rate="0.0275",
        city_rate="0.0",
        combined_district_rate="0.0",
        combined_rate="0.0925",
    ),
}
# Rates as JSON numbers, which a float parse would not keep exact (0.029 * 10000 is
# 290.00000000000006 in binary floating point).
NUMERIC_ANSWER = (
    '{"rate": {"zip": "80202", "country": "US", "state": "CO", "state_rate": 0.029,'
    ' "county": "DENVER", "county_rate": 0.0, "city": "DENVER", "city_rate": 0.05155,'
    ' "combined_district_rate": 0.011, "combined_rate": 0.09155, "freight_taxable": false}}'
)


class HeldAnswers:
    """The answers to the SLOW ZIP: held from ``hold()`` until ``release()``.

    ``release()`` also waits for every handler thread it held to finish, so none outlives
    the test that held it. Outside a hold, a SLOW request is answered at once (a test
    that forgot to hold it fails rather than waits).
    """

    def __init__(self) -> None:
        self._released = threading.Event()
        self._released.set()
        self._lock = threading.Condition()
        self._held: list[threading.Thread] = []

    def wait_until_held(self, count: int, within: float) -> int:
        """How many requests are held, once ``count`` are (or ``within`` seconds passed):
        the client may give up before the server's thread has even read the request."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._held) >= count, timeout=within)
            return len(self._held)

    def hold(self) -> None:
        with self._lock:
            self._held.clear()
        self._released.clear()

    def release(self, timeout: float) -> None:
        self._released.set()
        with self._lock:
            threads = list(self._held)
        for thread in threads:
            thread.join(timeout)
            assert not thread.is_alive(), f"a held TaxJar answer is still running: {thread}"

    def wait(self) -> None:
        """In a handler thread: wait until released."""
        with self._lock:
            self._held.append(threading.current_thread())
            self._lock.notify_all()
        self._released.wait()


class TaxJarHandler(BaseHTTPRequestHandler):
    requests_seen: ClassVar[list[tuple[str, str, dict[str, list[str]]]]] = []
    slow_answers: ClassVar[HeldAnswers] = HeldAnswers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.requests_seen.append(
            (url.path, self.headers.get("Authorization", ""), parse_qs(url.query))
        )
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.error(401, "Unauthorized", f"Not authorized for route 'GET {url.path}'")
            return
        prefix = "/v2/rates/"
        if not url.path.startswith(prefix):
            self.error(404, "Not Found", "Resource can not be found")
            return
        zip_code = url.path.removeprefix(prefix)
        if zip_code == "80202":
            self.send(200, NUMERIC_ANSWER.encode())
        elif zip_code in ANSWERS:
            self.send(200, json.dumps(ANSWERS[zip_code]).encode())
        elif zip_code == BROKEN.zip:
            self.error(500, "Internal Server Error", "Something went wrong")
        elif zip_code == SLOW.zip:
            self.slow_answers.wait()
            self.send(200, json.dumps(ANSWERS["37203"]).encode())
        elif zip_code == NOT_JSON.zip:
            self.send(502, b"<html>Bad Gateway</html>", content_type="text/html")
        else:
            self.error(404, "Not Found", "Resource can not be found")

    def error(self, status: int, error: str, detail: str) -> None:
        body = {"error": error, "detail": detail, "status": status}
        self.send(status, json.dumps(body).encode())

    def send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def taxjar_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TaxJarHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def taxjar_rates(url: str, *, timeout_seconds: float, api_key: str = API_KEY) -> TaxJarRates:
    return TaxJarRates(
        api_key,
        taxability=BundledRates.load(),
        api_url=url,
        timeout_seconds=timeout_seconds,
        today=lambda: TODAY,
    )


@pytest.fixture
def taxjar(taxjar_url: str) -> TaxJarRates:
    """TaxJar for calls the local server answers."""
    return taxjar_rates(taxjar_url, timeout_seconds=ANSWERED_TIMEOUT_SECONDS)


@pytest.fixture
def held_answers(taxjar_url: str) -> Iterator[HeldAnswers]:
    """The SLOW ZIP's answers, held until this test ends."""
    answers = TaxJarHandler.slow_answers
    answers.hold()
    try:
        yield answers
    finally:
        answers.release(timeout=ANSWERED_TIMEOUT_SECONDS)


@pytest.fixture
def impatient_taxjar(taxjar_url: str, held_answers: HeldAnswers) -> TaxJarRates:
    """TaxJar with a small timeout, for the SLOW ZIP, whose answer is held."""
    return taxjar_rates(taxjar_url, timeout_seconds=SLOW_TIMEOUT_SECONDS)


def test_a_documented_answer_maps_to_exact_basis_points(taxjar: TaxJarRates) -> None:
    # given TaxJar's documented answer for Santa Monica, rates as strings
    rates = taxjar.rates_for(SANTA_MONICA, TODAY)
    # then state and local (county + city + district) are exact basis points
    assert rates.source is TaxSource.TAXJAR
    assert rates.state.rate_bps == Decimal(625)
    assert rates.state.jurisdiction == "CA"
    assert rates.local is not None
    assert rates.local.rate_bps == Decimal(350)
    assert rates.local.jurisdiction == "CA-LOS ANGELES"
    assert rates.local.name == "Local Sales Tax (Los Angeles County, Santa Monica)"
    assert (rates.state.effective_from, rates.state.effective_to) == (TODAY, TODAY)


def test_json_numbers_are_read_as_decimals_never_floats(taxjar: TaxJarRates) -> None:
    rates = taxjar.rates_for(DENVER_NUMBERS, TODAY)
    assert rates.state.rate_bps == Decimal(290)
    assert type(rates.state.rate_bps) is Decimal
    assert rates.local is not None
    assert rates.local.rate_bps == Decimal("625.5")


def test_the_request_carries_the_key_and_the_address(taxjar: TaxJarRates) -> None:
    TaxJarHandler.requests_seen.clear()
    taxjar.rates_for(NASHVILLE, TODAY)
    (path, authorization, query) = TaxJarHandler.requests_seen[-1]
    assert path == "/v2/rates/37203"
    assert authorization == f"Bearer {API_KEY}"
    assert query == {
        "city": ["Nashville"],
        "state": ["TN"],
        "country": ["US"],
        "street": ["1 Broadway"],
    }


def test_nashville_takes_taxjars_rates_and_the_tables_entertainment_tax(
    taxjar: TaxJarRates,
) -> None:
    # given TaxJar behind the calculator, for a Nashville sale today
    calculator = TaxCalculator(taxjar)
    # when $100 is taxed
    result = calculator.calculate(Money(10000, USD), NASHVILLE, None, TODAY)
    # then state and local come from TaxJar, the 1% levy from our tables
    assert [(line.jurisdiction, line.amount.minor) for line in result.lines] == [
        ("TN", 700),
        ("TN-DAVIDSON", 275),
        ("TN-NASHVILLE", 100),
    ]
    assert result.tax_source is TaxSource.TAXJAR


def test_a_refused_key_is_unavailable(taxjar_url: str) -> None:
    wrong_key = taxjar_rates(
        taxjar_url, api_key="not-the-key", timeout_seconds=ANSWERED_TIMEOUT_SECONDS
    )
    with pytest.raises(RateSourceUnavailableError, match="401"):
        wrong_key.rates_for(NASHVILLE, TODAY)


def test_an_unknown_zip_is_an_unknown_jurisdiction(taxjar: TaxJarRates) -> None:
    with pytest.raises(UnknownJurisdictionError, match="Not Found"):
        taxjar.rates_for(NOWHERE, TODAY)


@pytest.mark.parametrize(
    ("address", "message"),
    [(BROKEN, "500"), (NOT_JSON, "502"), (WRONG_SUM, "do not add up")],
    ids=["server error", "not json", "inconsistent"],
)
def test_a_failed_or_unreadable_answer_is_unavailable(
    taxjar: TaxJarRates, address: Address, message: str
) -> None:
    with pytest.raises(RateSourceUnavailableError, match=message):
        taxjar.rates_for(address, TODAY)


def test_an_answer_slower_than_the_timeout_is_unavailable(
    impatient_taxjar: TaxJarRates, held_answers: HeldAnswers
) -> None:
    # Given TaxJar holding its answer until this test ends
    # When a rate is asked with a small timeout
    with pytest.raises(RateSourceUnavailableError, match="did not answer") as unavailable:
        impatient_taxjar.rates_for(SLOW, TODAY)
    # Then the request reached TaxJar and the client gave up on it while the answer was
    # still held, on the timeout configured (requests names it in its error), not the SDK's
    assert held_answers.wait_until_held(1, within=30) == 1
    assert f"read timeout={SLOW_TIMEOUT_SECONDS})" in str(unavailable.value)


def test_a_past_date_is_not_asked_of_taxjar(taxjar: TaxJarRates) -> None:
    TaxJarHandler.requests_seen.clear()
    with pytest.raises(RateSourceUnavailableError, match="current rates only"):
        taxjar.rates_for(NASHVILLE, datetime.date(2025, 1, 15))
    assert TaxJarHandler.requests_seen == []


def tables_behind(taxjar: TaxJarRates, fallbacks: list[str]) -> FallbackRates:
    return FallbackRates(
        taxjar, BundledRates.load(), on_fallback=lambda error: fallbacks.append(error.code)
    )


@pytest.mark.parametrize("address", [BROKEN, NOWHERE], ids=["500", "404"])
def test_the_tables_answer_when_taxjar_cannot(taxjar: TaxJarRates, address: Address) -> None:
    # given TaxJar failing, with the bundled tables behind it
    fallbacks: list[str] = []
    rates = tables_behind(taxjar, fallbacks)
    # when a Nashville sale is taxed
    result = TaxCalculator(rates).calculate(Money(10000, USD), address, None, TODAY)
    # then the tables answered, and the result says so
    assert result.tax_source is TaxSource.TABLES
    assert result.total.minor == 700 + 275 + 100
    assert len(fallbacks) == 1


def test_the_tables_answer_when_taxjar_is_too_slow(
    impatient_taxjar: TaxJarRates, held_answers: HeldAnswers
) -> None:
    # given TaxJar holding its answer past the timeout, with the bundled tables behind it
    fallbacks: list[str] = []
    rates = tables_behind(impatient_taxjar, fallbacks)
    # when a Nashville sale is taxed
    result = TaxCalculator(rates).calculate(Money(10000, USD), SLOW, None, TODAY)
    # then the tables answered, and the result says so
    assert result.tax_source is TaxSource.TABLES
    assert result.total.minor == 700 + 275 + 100
    assert len(fallbacks) == 1
    assert held_answers.wait_until_held(1, within=30) == 1


def test_the_spec_example_date_is_answered_by_the_tables(taxjar: TaxJarRates) -> None:
    rates = FallbackRates(taxjar, BundledRates.load())
    result = TaxCalculator(rates).calculate(
        Money(10000, USD), NASHVILLE, None, datetime.date(2025, 1, 15)
    )
    assert (result.total.minor, result.tax_source) == (1025, TaxSource.TABLES)
