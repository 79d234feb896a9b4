"""Settings are read from TT_* variables once, with errors that name the variable."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tt_payments.settings import Settings, SettingsError


def test_no_configuration_means_the_embedded_default() -> None:
    settings = Settings.from_env({})
    assert settings.embedded is True
    assert settings.port == 3005
    assert settings.data_dir == Path(".tickettoken")
    assert settings.private_key_path == Path(".tickettoken/keys/jwt-private.pem")


def test_configured_servers_are_used() -> None:
    settings = Settings.from_env(
        {
            "TT_DATABASE_URL": "postgresql://db/x",
            "TT_REDIS_URL": "redis://r",
            "TT_PORT": "8080",
            "TT_GAS_SOLANA_FEE_USD": "0.07",
            "TT_DATA_DIR": "/var/lib/tt",
            "TT_REDIS_TIMEOUT_SECONDS": "0.5",
            "TT_DATABASE_POOL_SIZE": "4",
            "TT_DATABASE_MAX_OVERFLOW": "2",
        }
    )
    assert (settings.database_pool_size, settings.database_max_overflow) == (4, 2)
    assert settings.embedded is False
    assert settings.port == 8080
    assert settings.redis_timeout_seconds == Decimal("0.5")
    assert settings.gas_solana_fee_usd == Decimal("0.07")
    assert settings.public_key_path == Path("/var/lib/tt/keys/jwt-public.pem")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TT_PORT", "http"),
        ("TT_PORT", "70000"),
        ("TT_GAS_CHARGE_PER_TICKET_CENTS", "-1"),
        ("TT_GAS_CHARGE_PER_TICKET_CENTS", "0.5"),
        ("TT_GAS_SOLANA_FEE", "cheap"),
        ("TT_GAS_SOLANA_FEE", "NaN"),
        ("TT_GAS_POLYGON_CONGESTION", "extreme"),
        ("TT_PROCESSOR", "paypal"),
        ("TT_REDIS_TIMEOUT_SECONDS", "0"),
        ("TT_REDIS_TIMEOUT_SECONDS", "soon"),
        ("TT_DATABASE_POOL_SIZE", "0"),
        ("TT_DATABASE_MAX_OVERFLOW", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
