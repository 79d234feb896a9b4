"""The canonical string and signature of internal requests, byte for byte, and the exact
edge of the 300 s timestamp window, with an injected clock."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.unit.tt_payments.fakes import RememberedNonces
from tt_payments.auth.internal import (
    InternalAuthenticator,
    canonical_string,
    sign,
    signed_headers,
    sorted_query,
)
from tt_payments.auth.tokens import AuthError
from tt_payments.settings import parse_service_secrets


def test_the_canonical_string_is_the_documented_six_lines() -> None:
    body = b'{"orderId":"o","paymentId":"p"}'
    canonical = canonical_string(
        method="post",
        path="/internal/payment-complete",
        raw_query="b=2&a=1",
        timestamp="1764140000",
        nonce="n0nce-n0nce-n0nce",
        body=body,
    )
    assert canonical == (
        "POST\n/internal/payment-complete\na=1&b=2\n1764140000\nn0nce-n0nce-n0nce\n"
        + hashlib.sha256(body).hexdigest()
    )


def test_an_empty_query_and_body_still_have_their_lines() -> None:
    canonical = canonical_string(
        method="GET", path="/internal/x", raw_query="", timestamp="1", nonce="n" * 16, body=b""
    )
    assert canonical.split("\n") == [
        "GET",
        "/internal/x",
        "",
        "1",
        "n" * 16,
        hashlib.sha256(b"").hexdigest(),
    ]


def test_the_signature_is_lowercase_hex_hmac_sha256() -> None:
    expected = hmac.new(b"secret", b"text", hashlib.sha256).hexdigest()
    assert sign("secret", "text") == expected == expected.lower()


def test_query_pairs_keep_their_encoding_and_sort_as_text() -> None:
    assert sorted_query("z=%2F&a=2&a=1&&m") == "a=1&a=2&m&z=%2F"


def test_signed_headers_carry_what_the_receiver_recomputes() -> None:
    headers = signed_headers(
        service="order-service",
        secret="s",
        method="POST",
        path="/internal/payment-complete",
        body=b"{}",
        nonce="abcdefghijklmnop",
        timestamp=100,
    )
    canonical = canonical_string(
        method="POST",
        path="/internal/payment-complete",
        raw_query="",
        timestamp="100",
        nonce="abcdefghijklmnop",
        body=b"{}",
    )
    assert headers == {
        "x-internal-service": "order-service",
        "x-internal-timestamp": "100",
        "x-internal-nonce": "abcdefghijklmnop",
        "x-internal-signature": sign("s", canonical),
    }


def test_service_secrets_are_parsed_from_name_secret_pairs() -> None:
    assert parse_service_secrets(" order-service:abc , ticket-service:d:e ") == {
        "order-service": "abc",
        "ticket-service": "d:e",
    }
    assert parse_service_secrets(None) == {}
    for bad in ("order-service", ":x", "a:", "a:1,a:2"):
        with pytest.raises(ValueError, match=r"name:secret|listed twice"):
            parse_service_secrets(bad)


NOW = 1_764_140_000
PATH = "/internal/payment-complete"


async def verify_at(now: float, *, stamped: int) -> str:
    """Whom a fresh receiver whose clock reads ``now`` lets through, signed at ``stamped``."""
    authenticator = InternalAuthenticator(
        secrets={"order-service": "s"}, nonces=RememberedNonces(), clock=lambda: now
    )
    headers = signed_headers(
        service="order-service",
        secret="s",
        method="POST",
        path=PATH,
        body=b"{}",
        nonce="a-fresh-nonce-0123456789",
        timestamp=stamped,
    )
    return await authenticator.verify(
        method="POST", path=PATH, raw_query="", headers=headers, body=b"{}"
    )


@pytest.mark.parametrize("offset", [-300, 0, 300])
async def test_a_timestamp_at_most_300_s_from_the_receivers_clock_is_accepted(
    offset: int,
) -> None:
    # Given a request stamped `offset` seconds from the receiver's clock
    # When the receiver checks it, Then it is let through
    assert await verify_at(NOW, stamped=NOW + offset) == "order-service"


@pytest.mark.parametrize("offset", [-301, 301, -3600, 3600])
async def test_a_timestamp_more_than_300_s_from_the_receivers_clock_is_refused(
    offset: int,
) -> None:
    # Given a request stamped `offset` seconds from the receiver's clock
    # When the receiver checks it, Then it is refused for its timestamp
    with pytest.raises(AuthError) as refused:
        await verify_at(NOW, stamped=NOW + offset)
    assert refused.value.code == "INVALID_TIMESTAMP"


async def test_the_window_is_measured_against_the_clocks_fraction_of_a_second() -> None:
    # Given a stamp in whole seconds and a receiver's clock half a second past 300 s later
    # When the receiver checks it, Then it is refused: 300.5 s is more than 300 s
    with pytest.raises(AuthError) as refused:
        await verify_at(NOW + 300.5, stamped=NOW)
    assert refused.value.code == "INVALID_TIMESTAMP"
