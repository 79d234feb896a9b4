"""The Stripe Connect payout adapter over HTTP, against a local stand-in for Stripe.

localstripe cannot serve these flows: it has no ``/v1/transfers``, takes payouts only in
EUR and ignores ``Stripe-Account``. So ``FakeStripeConnect`` below, a stdlib
``http.server`` in a thread, speaks Stripe's documented JSON for what the adapter calls:
``POST /v1/transfers`` (platform balance to a connected account), ``POST /v1/payouts``
and ``GET /v1/payouts/{id}`` on a connected account (``Stripe-Account`` header),
``POST /v1/transfers/{id}/reversals``, Stripe's idempotency (a key replays its first
response; another request under it is an ``idempotency_error``; keys are per account),
and its error bodies (``invalid_request_error`` 400s, 401, 404). Faults injected before a
request executes (500, 503, 429) are not remembered under the key, like a request that
never reached Stripe. Every request is recorded, headers and form fields included, so
tests check what the adapter sent.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

from tests.integration.conftest import API_KEY, free_port
from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod
from tt_money import USD, Money
from tt_payments.providers.payouts import PayoutRequest
from tt_payments.providers.ports import PayoutProvider
from tt_payments.providers.stripe.payouts import StripeConnectPayouts
from tt_payments.providers.types import ProviderRejectedError, ProviderUnavailableError

# The SDK's HTTPXClient posts its form body as ``data=`` bytes, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

VENUE_ACCOUNT = "acct_1VenueStandard"
NO_INSTANT_ACCOUNT = "acct_1VenueNoInstant"
TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("00000000-0000-4000-8000-000000000002")
TWO_DAYS = 2 * 24 * 60 * 60

Json = dict[str, Any]


@attrs.frozen
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    form: Json


def _error(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, Json]:
    error: Json = {"type": kind, "message": message}
    if code is not None:
        error["code"] = code
    return status, {"error": error}


def _parse_form(body: str) -> Json:
    """Stripe's form encoding, ``metadata[payoutId]=...`` included, as nested dicts."""
    form: Json = {}
    for name, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        if "[" in name:
            outer, inner = name.rstrip("]").split("[", 1)
            form.setdefault(outer, {})[inner] = value
        else:
            form[name] = value
    return form


class FakeStripeConnect:
    """A platform balance, connected accounts with balances, transfers and payouts."""

    def __init__(self, *, platform_balance: int = 1_000_000) -> None:
        self.platform_balance = platform_balance
        self.balances: dict[str, int] = {VENUE_ACCOUNT: 0, NO_INSTANT_ACCOUNT: 0}
        self.no_instant = {NO_INSTANT_ACCOUNT}
        self.transfers: dict[str, Json] = {}
        self.payouts: dict[str, Json] = {}
        self.reversals: list[Json] = []
        self.requests: list[Recorded] = []
        self._faults: list[tuple[str, str, int]] = []
        self._replies: dict[tuple[str, str], tuple[Recorded, int, Json]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # Test controls

    def fail_next(self, method: str, path_prefix: str, status: int) -> None:
        """The next ``method`` request whose path starts with ``path_prefix`` gets
        ``status`` with an ``api_error`` body (or ``rate_limit_error`` for 429)."""
        self._faults.append((method, path_prefix, status))

    def settle(self, payout_id: str, status: str, **fields: Any) -> None:
        """What Stripe does later: the payout moves to ``status``; a failed or canceled
        one's money comes back to the connected account's balance."""
        with self._lock:
            payout = self.payouts[payout_id]
            if status in {"failed", "canceled"} and payout["status"] not in {"failed", "canceled"}:
                self.balances[payout["_account"]] += payout["amount"]
            payout.update(status=status, **fields)

    def sent(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # HTTP

    def handle(self, request: Recorded) -> tuple[int, Json]:
        with self._lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {API_KEY}":
                return _error(401, "invalid_request_error", "Invalid API Key provided")
            for fault in self._faults:
                method, prefix, status = fault
                if request.method == method and request.path.startswith(prefix):
                    self._faults.remove(fault)
                    kind = "rate_limit_error" if status == 429 else "api_error"
                    return _error(status, kind, "canned failure")
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or key is None:
                return self._route(request)
            scope = (request.headers.get("stripe-account", "platform"), key)
            stored = self._replies.get(scope)
            if stored is not None:
                first, status, body = stored
                if (first.path, first.form) != (request.path, request.form):
                    return _error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    )
                return status, body
            status, body = self._route(request)
            self._replies[scope] = (request, status, body)
            return status, body

    def _route(self, request: Recorded) -> tuple[int, Json]:
        parts = request.path.strip("/").split("/")
        match request.method, parts:
            case "POST", ["v1", "transfers"]:
                return self._create_transfer(request)
            case "POST", ["v1", "transfers", transfer_id, "reversals"]:
                return self._reverse(transfer_id, request)
            case "POST", ["v1", "payouts"]:
                return self._create_payout(request)
            case "GET", ["v1", "payouts", payout_id]:
                return self._retrieve_payout(payout_id, request)
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({request.path})")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):024d}"

    def _create_transfer(self, request: Recorded) -> tuple[int, Json]:
        form = request.form
        if "stripe-account" in request.headers:
            return _error(400, "invalid_request_error", "transfers are made by the platform")
        destination = form.get("destination", "")
        if destination not in self.balances:
            return _error(
                400,
                "invalid_request_error",
                f"No such destination: '{destination}'",
                "resource_missing",
            )
        amount = int(form["amount"])
        if amount > self.platform_balance:
            return _error(
                400,
                "invalid_request_error",
                "You have insufficient available funds in your Stripe account.",
                "balance_insufficient",
            )
        self.platform_balance -= amount
        self.balances[destination] += amount
        transfer_id = self._new_id("tr")
        transfer: Json = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": self._new_id("txn"),
            "created": int(time.time()),
            "currency": form["currency"],
            "description": None,
            "destination": destination,
            "destination_payment": self._new_id("py"),
            "livemode": False,
            "metadata": form.get("metadata", {}),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": None,
            "source_type": "card",
            "transfer_group": form.get("transfer_group"),
        }
        self.transfers[transfer_id] = transfer
        return 200, transfer

    def _reverse(self, transfer_id: str, request: Recorded) -> tuple[int, Json]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return _error(
                404,
                "invalid_request_error",
                f"No such transfer: '{transfer_id}'",
                "resource_missing",
            )
        amount = int(request.form.get("amount", transfer["amount"] - transfer["amount_reversed"]))
        if amount <= 0 or self.balances[transfer["destination"]] < amount:
            return _error(400, "invalid_request_error", "Cannot reverse this transfer.")
        self.balances[transfer["destination"]] -= amount
        self.platform_balance += amount
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversal: Json = {
            "id": self._new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": self._new_id("txn"),
            "created": int(time.time()),
            "currency": transfer["currency"],
            "destination_payment_refund": self._new_id("pyr"),
            "metadata": request.form.get("metadata", {}),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self.reversals.append(reversal)
        return 200, reversal

    def _create_payout(self, request: Recorded) -> tuple[int, Json]:
        account = request.headers.get("stripe-account")
        if account not in self.balances:
            return _error(
                403,
                "invalid_request_error",
                f"The provided key does not have access to account '{account}'.",
            )
        form = request.form
        amount = int(form["amount"])
        method = form.get("method", "standard")
        if method == "instant" and account in self.no_instant:
            return _error(
                400,
                "invalid_request_error",
                "This bank account does not support instant payouts.",
                "instant_payouts_unsupported",
            )
        if amount > self.balances[account]:
            return _error(
                400,
                "invalid_request_error",
                "You have insufficient funds in your Stripe account for this transfer.",
                "balance_insufficient",
            )
        self.balances[account] -= amount
        created = int(time.time())
        payout: Json = {
            "id": self._new_id("po"),
            "object": "payout",
            "amount": amount,
            "application_fee": None,
            "application_fee_amount": None,
            "arrival_date": created + (0 if method == "instant" else TWO_DAYS),
            "automatic": False,
            "balance_transaction": self._new_id("txn"),
            "created": created,
            "currency": form["currency"],
            "description": None,
            "destination": self._new_id("ba"),
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": form.get("metadata", {}),
            "method": method,
            "original_payout": None,
            "payout_method": None,
            "reconciliation_status": "not_applicable",
            "reversed_by": None,
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            "trace_id": {"status": "pending", "value": None},
            "type": "bank_account",
            "_account": account,
        }
        self.payouts[payout["id"]] = payout
        return 200, self._public(payout)

    def _retrieve_payout(self, payout_id: str, request: Recorded) -> tuple[int, Json]:
        payout = self.payouts.get(payout_id)
        if payout is None or payout["_account"] != request.headers.get("stripe-account"):
            return _error(
                404, "invalid_request_error", f"No such payout: '{payout_id}'", "resource_missing"
            )
        return 200, self._public(payout)

    @staticmethod
    def _public(payout: Json) -> Json:
        return {name: value for name, value in payout.items() if not name.startswith("_")}


def _handler(fake: FakeStripeConnect) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else url.query
            request = Recorded(
                method=self.command,
                path=url.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                form=_parse_form(body),
            )
            status, reply = fake.handle(request)
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve  # noqa: N815 - http.server's names
        do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_stripe() -> Iterator[tuple[FakeStripeConnect, str]]:
    fake = FakeStripeConnect()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fake(fake_stripe: tuple[FakeStripeConnect, str]) -> FakeStripeConnect:
    return fake_stripe[0]


@pytest.fixture
async def payouts(
    fake_stripe: tuple[FakeStripeConnect, str],
) -> AsyncIterator[StripeConnectPayouts]:
    # A generous timeout: every call here is meant to be answered (it costs nothing then).
    adapter = StripeConnectPayouts(
        API_KEY, api_base=fake_stripe[1], timeout=30, max_network_retries=0
    )
    yield adapter
    await adapter.aclose()


def payout_request(
    *,
    minor: int = 49_500,
    method: PayoutMethod = PayoutMethod.STANDARD,
    destination: str = VENUE_ACCOUNT,
    key: str | None = None,
) -> PayoutRequest:
    return PayoutRequest(
        payout_id=uuid.uuid4(),
        tenant_id=TENANT,
        venue_id=VENUE,
        destination=destination,
        amount=Money(minor, USD),
        method=method,
        idempotency_key=key or str(uuid.uuid4()),
        metadata={"requestedBy": "user-7"},
    )


def test_it_implements_the_payout_provider_port() -> None:
    port: PayoutProvider = StripeConnectPayouts(API_KEY)
    assert port.name == "stripe"


@pytest.mark.parametrize("method", list(PayoutMethod))
async def test_a_payout_is_a_transfer_to_the_venue_then_a_payout_on_its_account(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect, method: PayoutMethod
) -> None:
    request = payout_request(method=method)

    result = await payouts.create_payout(request)

    # The adapter's answer: Stripe's "pending" is accepted, on its way (ours: in transit)
    assert result.provider == "stripe"
    assert result.provider_payout_id.startswith("po_")
    assert result.status is PayoutStatus.IN_TRANSIT
    assert result.amount == Money(49_500, USD)
    assert (result.failure_code, result.failure_message) == (None, None)
    # ... arriving (a UTC date) the day Stripe made it when instant, two days later otherwise:
    # counted from the time the fake stamped on the payout, never from this test's own clock
    [stored] = fake.payouts.values()
    days = 0 if method is PayoutMethod.INSTANT else 2
    made = dt.datetime.fromtimestamp(stored["created"], dt.UTC)
    assert result.arrival_date == (made + dt.timedelta(days=days)).date()
    # What the platform sent: a transfer, with no Stripe-Account, under <key>:transfer
    metadata = {
        "requestedBy": "user-7",
        "payoutId": str(request.payout_id),
        "tenantId": str(TENANT),
        "venueId": str(VENUE),
    }
    [transfer] = fake.sent("POST", "/v1/transfers")
    assert "stripe-account" not in transfer.headers
    assert transfer.headers["idempotency-key"] == f"{request.idempotency_key}:transfer"
    assert transfer.form == {
        "amount": "49500",
        "currency": "usd",
        "destination": VENUE_ACCOUNT,
        "transfer_group": str(request.payout_id),
        "metadata": metadata,
    }
    # ... then a payout on the connected account, under <key>:payout
    [payout] = fake.sent("POST", "/v1/payouts")
    assert payout.headers["stripe-account"] == VENUE_ACCOUNT
    assert payout.headers["idempotency-key"] == f"{request.idempotency_key}:payout"
    assert payout.form == {
        "amount": "49500",
        "currency": "usd",
        "method": method.value,
        # The transfer it came from: how a later failure takes the money back (reclaim).
        "metadata": {**metadata, "transferId": next(iter(fake.transfers))},
    }
    # And the money left the platform for the venue's bank, nothing stayed on the account
    assert fake.platform_balance == 1_000_000 - 49_500
    assert fake.balances[VENUE_ACCOUNT] == 0
    assert fake.reversals == []


async def test_the_same_key_replays_both_calls_and_pays_once(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    request = payout_request()

    first = await payouts.create_payout(request)
    again = await payouts.create_payout(request)

    assert again == first
    assert len(fake.transfers) == 1
    assert len(fake.payouts) == 1
    assert fake.platform_balance == 1_000_000 - 49_500


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [
        ("pending", PayoutStatus.IN_TRANSIT),
        ("in_transit", PayoutStatus.IN_TRANSIT),
        ("paid", PayoutStatus.PAID),
        ("canceled", PayoutStatus.CANCELED),
        ("a_status_from_the_future", PayoutStatus.IN_TRANSIT),
    ],
)
async def test_a_retrieved_payout_shows_stripes_status_in_ours(
    payouts: StripeConnectPayouts,
    fake: FakeStripeConnect,
    stripe_status: str,
    ours: PayoutStatus,
) -> None:
    created = await payouts.create_payout(payout_request())
    fake.settle(created.provider_payout_id, stripe_status)

    retrieved = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)

    assert retrieved == attrs.evolve(created, status=ours)
    [get] = fake.sent("GET", "/v1/payouts/")
    assert get.path == f"/v1/payouts/{created.provider_payout_id}"
    assert get.headers["stripe-account"] == VENUE_ACCOUNT


async def test_a_failed_payout_carries_stripes_failure_code_and_message(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    created = await payouts.create_payout(payout_request())
    fake.settle(
        created.provider_payout_id,
        "failed",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
        failure_balance_transaction="txn_failure",
    )

    failed = await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)

    assert failed.status is PayoutStatus.FAILED
    assert failed.failure_code == "account_closed"
    assert failed.failure_message == "The bank account has been closed."


async def test_a_payout_is_unknown_to_another_account(
    payouts: StripeConnectPayouts,
) -> None:
    created = await payouts.create_payout(payout_request())

    with pytest.raises(ProviderRejectedError, match="InvalidRequestError"):
        await payouts.retrieve_payout(created.provider_payout_id, destination=NO_INSTANT_ACCOUNT)
    with pytest.raises(ProviderRejectedError, match="resource_missing"):
        await payouts.retrieve_payout("po_unknown", destination=VENUE_ACCOUNT)


async def test_a_refused_transfer_pays_nothing_and_asks_for_no_payout(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    with pytest.raises(ProviderRejectedError, match="balance_insufficient"):
        await payouts.create_payout(payout_request(minor=2_000_000))
    with pytest.raises(ProviderRejectedError, match="resource_missing"):
        await payouts.create_payout(payout_request(destination="acct_unknown"))

    assert fake.sent("POST", "/v1/payouts") == []
    assert fake.platform_balance == 1_000_000


async def test_a_refused_payout_reverses_its_transfer(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    request = payout_request(method=PayoutMethod.INSTANT, destination=NO_INSTANT_ACCOUNT)

    with pytest.raises(ProviderRejectedError, match="instant_payouts_unsupported") as refused:
        await payouts.create_payout(request)

    assert "reversed" in str(refused.value)
    [reversal] = fake.sent("POST", "/v1/transfers/")
    [transfer_id] = fake.transfers
    assert reversal.path == f"/v1/transfers/{transfer_id}/reversals"
    assert reversal.headers["idempotency-key"] == f"{request.idempotency_key}:reversal"
    assert "stripe-account" not in reversal.headers
    assert fake.balances[NO_INSTANT_ACCOUNT] == 0
    assert fake.platform_balance == 1_000_000
    # A retry with the key replays all three and moves nothing
    with pytest.raises(ProviderRejectedError, match="instant_payouts_unsupported"):
        await payouts.create_payout(request)
    assert len(fake.transfers) == 1
    assert len(fake.reversals) == 1
    assert fake.balances[VENUE_ACCOUNT] == 0
    assert fake.platform_balance == 1_000_000
    assert fake.platform_balance == 1_000_000


async def test_an_unknown_reversal_outcome_is_unavailable_and_a_retry_finishes_it(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    request = payout_request(method=PayoutMethod.INSTANT, destination=NO_INSTANT_ACCOUNT)
    fake.fail_next("POST", "/v1/transfers/", 500)

    with pytest.raises(ProviderUnavailableError):
        await payouts.create_payout(request)
    assert fake.balances[NO_INSTANT_ACCOUNT] == 49_500  # stranded for now

    with pytest.raises(ProviderRejectedError, match="reversed"):
        await payouts.create_payout(request)
    assert fake.balances[NO_INSTANT_ACCOUNT] == 0
    assert fake.platform_balance == 1_000_000


async def test_the_key_reused_for_another_payout_is_refused_and_reverses_nothing(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    request = payout_request()
    await payouts.create_payout(request)

    with pytest.raises(ProviderRejectedError, match="IdempotencyError"):
        await payouts.create_payout(attrs.evolve(request, method=PayoutMethod.INSTANT))
    with pytest.raises(ProviderRejectedError, match="IdempotencyError"):
        await payouts.create_payout(attrs.evolve(request, amount=Money(1, USD)))

    assert fake.reversals == []
    assert len(fake.payouts) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
        (429, ProviderUnavailableError),
        (400, ProviderRejectedError),
    ],
)
@pytest.mark.parametrize("path", ["/v1/transfers", "/v1/payouts"])
async def test_error_statuses_are_sorted_into_unknown_outcome_or_refusal(
    payouts: StripeConnectPayouts,
    fake: FakeStripeConnect,
    status: int,
    error: type[Exception],
    path: str,
) -> None:
    request = payout_request()
    fake.fail_next("POST", path, status)

    with pytest.raises(error):
        await payouts.create_payout(request)

    # An unknown outcome is retried with the same key: one transfer, one payout in all
    if error is ProviderUnavailableError:
        result = await payouts.create_payout(request)
        assert result.status is PayoutStatus.IN_TRANSIT
        assert (len(fake.transfers), len(fake.payouts)) == (1, 1)
        assert fake.platform_balance == 1_000_000 - 49_500
        assert fake.balances[VENUE_ACCOUNT] == 0


async def test_a_retrieve_that_fails_on_the_server_is_unavailable(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    created = await payouts.create_payout(payout_request())
    fake.fail_next("GET", "/v1/payouts/", 502)

    with pytest.raises(ProviderUnavailableError, match="APIError"):
        await payouts.retrieve_payout(created.provider_payout_id, destination=VENUE_ACCOUNT)


async def test_a_wrong_api_key_is_rejected(fake_stripe: tuple[FakeStripeConnect, str]) -> None:
    adapter = StripeConnectPayouts("sk_test_wrong", api_base=fake_stripe[1], max_network_retries=0)
    try:
        with pytest.raises(ProviderRejectedError, match="AuthenticationError"):
            await adapter.create_payout(payout_request())
    finally:
        await adapter.aclose()


async def test_nothing_listening_means_the_outcome_is_unknown() -> None:
    adapter = StripeConnectPayouts(
        API_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    try:
        with pytest.raises(ProviderUnavailableError, match="APIConnectionError"):
            await adapter.create_payout(payout_request())
        with pytest.raises(ProviderUnavailableError, match="APIConnectionError"):
            await adapter.retrieve_payout("po_x", destination=VENUE_ACCOUNT)
    finally:
        await adapter.aclose()


async def test_a_payout_that_fails_later_is_reclaimed_from_the_venues_account(
    payouts: StripeConnectPayouts, fake: FakeStripeConnect
) -> None:
    request = payout_request()
    result = await payouts.create_payout(request)
    [transfer_id] = fake.transfers
    fake.settle(result.provider_payout_id, "failed", failure_code="account_closed")

    await payouts.reclaim(
        result.provider_payout_id,
        destination=VENUE_ACCOUNT,
        idempotency_key=request.idempotency_key,
    )
    await payouts.reclaim(
        result.provider_payout_id,
        destination=VENUE_ACCOUNT,
        idempotency_key=request.idempotency_key,
    )

    # One reversal of the payout's own transfer, under <key>:reversal, however often asked.
    reversals = fake.sent("POST", f"/v1/transfers/{transfer_id}/reversals")
    assert {sent.headers["idempotency-key"] for sent in reversals} == {
        f"{request.idempotency_key}:reversal"
    }
    assert len(fake.reversals) == 1
    assert fake.balances[VENUE_ACCOUNT] == 0
    assert fake.platform_balance == 1_000_000
