"""Issuing and verifying RS256 access tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from tt_payments.auth.identity import Role
from tt_payments.auth.keys import load_key_pair
from tt_payments.auth.tokens import AuthError, TokenService
from tt_payments.settings import Settings, SettingsError


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> TokenService:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    keys = load_key_pair(settings, create=True)
    return TokenService(keys, issuer="tickettoken", audience="tickettoken-payments")


def test_an_issued_token_verifies_to_its_principal(tokens: TokenService) -> None:
    user, tenant, venue = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = tokens.issue(subject=user, tenant_id=tenant, role=Role.VENUE_MANAGER, venues=[venue])
    principal = tokens.verify(token)
    assert (principal.user_id, principal.tenant_id, principal.role) == (
        user,
        tenant,
        Role.VENUE_MANAGER,
    )
    assert principal.venues == frozenset({venue})
    assert principal.can_manage_venue(venue)
    assert not principal.can_manage_venue(uuid.uuid4())


def test_an_expired_token_says_so(tokens: TokenService) -> None:
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token = tokens.issue(
        subject=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        role=Role.USER,
        ttl=dt.timedelta(minutes=5),
        now=issued,
    )
    with pytest.raises(AuthError) as error:
        tokens.verify(token)
    assert error.value.code == "TOKEN_EXPIRED"


def test_a_tampered_token_is_invalid(tokens: TokenService) -> None:
    token = tokens.issue(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.USER)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}AA.{signature}"
    with pytest.raises(AuthError) as error:
        tokens.verify(tampered)
    assert error.value.code == "INVALID_TOKEN"


def test_key_pair_is_generated_once_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_key_pair(settings, create=True)
    second = load_key_pair(settings, create=True)
    assert first == second
    assert oct(settings.private_key_path.stat().st_mode & 0o777) == "0o600"


def test_missing_keys_without_create_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TT_JWT_PUBLIC_KEY_FILE"):
        load_key_pair(Settings(data_dir=tmp_path), create=False)
