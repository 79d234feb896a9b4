"""Every failure answers the spec's error JSON with the right status and code."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tt_payments import Container
from tt_payments.auth.identity import Role

AuthHeaders = Callable[..., dict[str, str]]

FEES = "/api/v1/payments/calculate-fees"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert set(body) >= {"error", "code", "timestamp", "path", "errors"}
    assert body["path"] == response.request.url.path
    assert body["requestId"] == response.headers["x-request-id"]
    dt.datetime.fromisoformat(body["timestamp"])
    return body


def claims(settings_issuer: str = "tickettoken", **overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "role": "user",
        "iss": settings_issuer,
        "aud": "tickettoken-payments",
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def private_key(container: Container) -> bytes:
    path = container.settings.private_key_path
    return path.read_bytes()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_token_is_401_auth_required(client: httpx.AsyncClient) -> None:
    response = await client.post(FEES, json={})
    assert_error(response, 401, "AUTH_REQUIRED")


async def test_token_signed_by_another_key_is_401_invalid_token(
    client: httpx.AsyncClient,
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.encode(claims(), pem, algorithm="RS256")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


async def test_hs256_token_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, container: Container
) -> None:
    # The classic algorithm-confusion attack: HMAC keyed with the RSA public key.
    public = container.settings.public_key_path.read_bytes()
    header = {"alg": "HS256", "typ": "JWT"}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(signature)}"
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


async def test_unsigned_alg_none_token_is_refused(client: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(), key=None, algorithm="none")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


async def test_expired_token_is_401_token_expired(
    client: httpx.AsyncClient, container: Container
) -> None:
    past = int(time.time()) - 3600
    token = jwt.encode(claims(iat=past - 60, exp=past), private_key(container), algorithm="RS256")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "TOKEN_EXPIRED")


@pytest.mark.parametrize("missing", ["tenant_id", "sub", "iss", "aud", "iat", "exp", "role"])
async def test_token_without_a_required_claim_is_refused(
    client: httpx.AsyncClient, container: Container, missing: str
) -> None:
    token = jwt.encode(claims(**{missing: None}), private_key(container), algorithm="RS256")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


@pytest.mark.parametrize(
    ("claim", "value"), [("aud", "someone-else"), ("iss", "evil"), ("role", "superuser")]
)
async def test_token_with_a_wrong_claim_is_refused(
    client: httpx.AsyncClient, container: Container, claim: str, value: str
) -> None:
    token = jwt.encode(claims(**{claim: value}), private_key(container), algorithm="RS256")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


async def test_a_venue_manager_token_without_venues_is_refused(
    client: httpx.AsyncClient, container: Container
) -> None:
    token = jwt.encode(claims(role="venue_manager"), private_key(container), algorithm="RS256")
    assert_error(await client.post(FEES, json={}, headers=bearer(token)), 401, "INVALID_TOKEN")


async def test_non_bearer_authorization_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(FEES, json={}, headers={"Authorization": "Basic abc"})
    assert_error(response, 401, "INVALID_TOKEN")


async def test_malformed_json_is_400_invalid_json(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.post(
        FEES, content=b'{"venueId": ', headers={**auth(), "content-type": "application/json"}
    )
    assert_error(response, 400, "INVALID_JSON")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"venueId": "V", "amount": 10000, "ticketCount": 1, "extra": 1}, "extra"),
        ({"venueId": "V", "amount": 100.0, "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": 100.5, "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": "10000", "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": True, "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": 0, "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": -5, "ticketCount": 1}, "amount"),
        ({"venueId": "V", "amount": 10000, "ticketCount": 0}, "ticketCount"),
        ({"venueId": "V", "amount": 10000}, "ticketCount"),
        ({"venueId": "not-a-uuid", "amount": 10000, "ticketCount": 1}, "venueId"),
        (
            {"venueId": "V", "amount": 10000, "ticketCount": 1, "transactionDate": "x"},
            "transactionDate",
        ),
    ],
)
async def test_bad_bodies_are_422_validation_error_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, object], field: str
) -> None:
    body = {key: (str(uuid.uuid4()) if value == "V" else value) for key, value in body.items()}
    response = await client.post(FEES, json=body, headers=auth())
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [item["field"] for item in error["errors"]] == [field]  # type: ignore[union-attr]


async def test_a_json_array_body_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.post(FEES, json=[1, 2], headers=auth())
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_body_over_64_kib_is_413(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    padding = "x" * (64 * 1024)
    response = await client.post(
        FEES, json={"venueId": str(uuid.uuid4()), "pad": padding}, headers=auth()
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_malformed_idempotency_key_is_400(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.post(
        FEES,
        json={"venueId": str(uuid.uuid4()), "amount": 1, "ticketCount": 1},
        headers={**auth(), "Idempotency-Key": "not-a-uuid"},
    )
    assert_error(response, 400, "IDEMPOTENCY_KEY_INVALID")
    v1 = str(uuid.uuid1())
    response = await client.post(
        FEES,
        json={"venueId": str(uuid.uuid4()), "amount": 1, "ticketCount": 1},
        headers={**auth(), "Idempotency-Key": v1},
    )
    assert_error(response, 400, "IDEMPOTENCY_KEY_INVALID")


async def test_unknown_route_and_wrong_method_use_the_error_json(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert_error(await client.get("/api/v1/nothing-here", headers=auth()), 404, "NOT_FOUND")
    assert_error(await client.get(FEES, headers=auth()), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("role", [Role.USER, Role.VENUE_MANAGER])
async def test_only_admins_may_put_venues(
    client: httpx.AsyncClient, auth: AuthHeaders, role: Role
) -> None:
    response = await client.put(
        f"/api/v1/admin/venues/{uuid.uuid4()}",
        json={"name": "X", "address": {"city": "Nashville", "state": "TN", "zip": "37203"}},
        headers=auth(role, venues=(uuid.uuid4(),) if role is Role.VENUE_MANAGER else ()),
    )
    assert_error(response, 403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({"city": "Nashville", "state": "TN", "zip": "3720"}, "address.zip"),
        ({"city": "Nashville", "state": "T1", "zip": "37203"}, "address.state"),
        ({"city": "Nashville", "state": "TN", "zip": "37203", "country": "CA"}, "address.country"),
    ],
)
async def test_malformed_venue_address_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, address: dict[str, str], field: str
) -> None:
    response = await client.put(
        f"/api/v1/admin/venues/{uuid.uuid4()}",
        json={"name": "X", "address": address},
        headers=auth(Role.ADMIN),
    )
    body = assert_error(response, 422, response.json()["code"])
    assert body["code"] in {"VALIDATION_ERROR", "INVALID_ADDRESS"}
    assert field in [item["field"] for item in body["errors"]]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("state", "code"), [("XX", "INVALID_ADDRESS"), ("PR", "UNSUPPORTED_TAX_JURISDICTION")]
)
async def test_a_state_we_cannot_tax_is_a_clear_error_not_a_zero(
    client: httpx.AsyncClient, auth: AuthHeaders, state: str, code: str
) -> None:
    response = await client.put(
        f"/api/v1/admin/venues/{uuid.uuid4()}",
        json={"name": "X", "address": {"city": "San Juan", "state": state, "zip": "00901"}},
        headers=auth(Role.ADMIN),
    )
    error = assert_error(response, 422, code)
    assert [item["field"] for item in error["errors"]] == ["address.state"]  # type: ignore[union-attr]


async def test_royalties_over_100_percent_name_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.put(
        f"/api/v1/admin/venues/{uuid.uuid4()}",
        json={
            "name": "X",
            "address": {"city": "Nashville", "state": "TN", "zip": "37203"},
            "royalty": {"venueBps": 6000, "artistBps": 5000, "artistId": str(uuid.uuid4())},
        },
        headers=auth(Role.ADMIN),
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [item["field"] for item in error["errors"]] == ["royalty"]  # type: ignore[union-attr]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_declared_json_is_415(
    client: httpx.AsyncClient, auth: AuthHeaders, content_type: str | None
) -> None:
    body = json.dumps({"venueId": str(uuid.uuid4()), "amount": 10000, "ticketCount": 1})
    headers = auth()
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post(FEES, content=body.encode(), headers=headers)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_chunked_body_over_64_kib_is_413(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"venueId": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post(
        FEES, content=chunks(), headers={**auth(), "content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_event_at_an_unknown_venue_is_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.put(
        f"/api/v1/admin/events/{uuid.uuid4()}",
        json={"venueId": str(uuid.uuid4()), "name": "Show", "startsAt": "2025-06-01T20:00:00Z"},
        headers=auth(Role.ADMIN),
    )
    assert_error(response, 404, "VENUE_NOT_FOUND")


async def test_event_start_without_time_zone_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.put(
        f"/api/v1/admin/events/{uuid.uuid4()}",
        json={"venueId": str(uuid.uuid4()), "name": "Show", "startsAt": "2025-06-01T20:00:00"},
        headers=auth(Role.ADMIN),
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["errors"][0]["field"] == "startsAt"  # type: ignore[index]


async def test_bad_path_id_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.put(
        "/api/v1/admin/venues/not-a-uuid",
        json={"name": "X", "address": {"city": "Nashville", "state": "TN", "zip": "37203"}},
        headers=auth(Role.ADMIN),
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["errors"] == [{"field": "venueId", "message": "must be a UUID"}]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = (await client.get("/health")).headers["x-request-id"]
    assert uuid.UUID(generated)
    unsafe = await client.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
