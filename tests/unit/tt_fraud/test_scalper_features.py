"""scalper_features (pure, integer maths) and ScalperDetector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_fraud import (
    FraudInputError,
    PastPurchase,
    PastResale,
    PurchaseHistory,
    ScalperDetector,
    markup_bps,
    scalper_features,
)

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)


def buy(
    minutes_ago: float,
    *,
    user: str = "u",
    card: str | None = "card-1",
    address: str | None = "addr-1",
    device: str | None = "dev-1",
    high_demand: bool = False,
    tickets: int = 2,
) -> PastPurchase:
    return PastPurchase(
        user_id=user,
        event_id=f"event-{minutes_ago}",
        device_fingerprint=device,
        payment_method=card,
        address=address,
        tickets=tickets,
        high_demand=high_demand,
        at=NOW - timedelta(minutes=minutes_ago),
    )


def resale(price: int, resold: int, days_ago: float = 1) -> PastResale:
    return PastResale(
        ticket_price_minor=price, resale_price_minor=resold, at=NOW - timedelta(days=days_ago)
    )


def test_markup_in_basis_points() -> None:
    assert markup_bps(10_000, 15_000) == 5_000
    assert markup_bps(10_000, 9_000) == -1_000
    assert markup_bps(3, 4) == 3_333  # rounded toward negative infinity
    assert markup_bps(3, 2) == -3_334


@given(st.integers(1, 10**9), st.integers(0, 10**10))
def test_markup_is_the_floor_of_the_exact_ratio(price: int, resold: int) -> None:
    bps = markup_bps(price, resold)

    assert bps * price <= (resold - price) * 10_000 < (bps + 1) * price


@given(st.integers(1, 10**7), st.integers(0, 100_000))
def test_a_markup_applied_then_measured_comes_back(price: int, bps: int) -> None:
    resold = price + price * bps // 10_000
    measured = markup_bps(price, resold)

    assert measured <= bps  # the resale price was rounded down, so the markup cannot grow
    if price % 10_000 == 0:
        assert measured == bps


@given(st.lists(st.floats(0, 60 * 24 * 40, allow_nan=False), max_size=30))
def test_windows_are_half_open(minutes: list[float]) -> None:
    history = PurchaseHistory(purchases=tuple(buy(m) for m in minutes))

    features = scalper_features("u", history, NOW)

    assert features.purchases_last_hour == sum(1 for m in minutes if m < 60)
    assert features.purchases_30d == sum(1 for m in minutes if m < 60 * 24 * 30)


def test_a_purchase_exactly_an_hour_old_is_not_in_the_last_hour() -> None:
    features = scalper_features("u", PurchaseHistory(purchases=(buy(60), buy(59.99))), NOW)

    assert features.purchases_last_hour == 1


def test_distinct_cards_addresses_and_high_demand_share() -> None:
    purchases = (
        buy(10, card="a", address="x", high_demand=True),
        buy(20, card="b", address="x", high_demand=True),
        buy(30, card="c", address="y", high_demand=True),
        buy(40, card=None, address=None, high_demand=False),
        buy(50, user="someone-else", card="z", address="w"),  # not this user's
    )

    features = scalper_features("u", PurchaseHistory(purchases=purchases), NOW)

    assert features.distinct_cards_30d == 3
    assert features.distinct_addresses_30d == 2
    assert features.high_demand_share_bps == 7_500
    assert features.purchases_30d == 4


def test_accounts_on_device_counts_other_buyers_on_the_users_devices() -> None:
    purchases = (
        buy(10, device="laptop"),
        buy(20, user="sock-1", device="laptop"),
        buy(30, user="sock-2", device="laptop"),
        buy(40, user="stranger", device="elsewhere"),
    )

    assert scalper_features("u", PurchaseHistory(purchases=purchases), NOW).accounts_on_device == 3
    declared = PurchaseHistory(purchases=purchases, accounts_on_device=7)
    assert scalper_features("u", declared, NOW).accounts_on_device == 7


def test_median_markup_of_recent_resales() -> None:
    resales = (
        resale(10_000, 12_000),
        resale(10_000, 30_000),
        resale(10_000, 15_000),
        resale(10_000, 10_000),
        resale(10_000, 99_000, days_ago=31),  # outside the 30 days
    )

    features = scalper_features("u", PurchaseHistory(resales=resales), NOW)

    assert features.resale_count == 4
    assert features.median_markup_bps == (2_000 + 5_000) // 2


def test_no_resales_has_no_median() -> None:
    assert scalper_features("u", PurchaseHistory(), NOW).median_markup_bps is None


def test_naive_timestamps_and_bad_counts_are_refused() -> None:
    with pytest.raises(FraudInputError):
        scalper_features("u", PurchaseHistory(), datetime(2026, 11, 26))  # noqa: DTZ001
    with pytest.raises(FraudInputError):
        buy(1, tickets=0)
    with pytest.raises(FraudInputError):
        resale(0, 100)


detector = ScalperDetector()


def assess(history: PurchaseHistory) -> tuple[Decimal, bool, tuple[str, ...]]:
    a = detector.assess(scalper_features("u", history, NOW))
    return a.score, a.is_scalper, a.indicators


def test_an_ordinary_buyer_is_not_a_scalper() -> None:
    assert assess(PurchaseHistory(purchases=(buy(100), buy(5000)))) == (Decimal("0.00"), False, ())


def test_six_purchases_in_an_hour_is_velocity_but_not_alone_a_scalper() -> None:
    score, is_scalper, found = assess(PurchaseHistory(purchases=tuple(buy(m) for m in range(6))))

    assert found == ("purchase_velocity",)
    assert (score, is_scalper) == (Decimal("0.45"), False)


def test_five_purchases_in_an_hour_is_not_velocity() -> None:
    assert (
        "purchase_velocity"
        not in assess(PurchaseHistory(purchases=tuple(buy(m) for m in range(5))))[2]
    )


def test_a_known_scalper_is_a_scalper() -> None:
    assert assess(PurchaseHistory(known_scalper=True)) == (
        Decimal("1.00"),
        True,
        ("known_scalper",),
    )


def test_a_device_farm_reselling_at_a_profit_is_a_scalper() -> None:
    purchases = tuple(
        buy(50 * i, card=f"c{i % 4}", address=f"a{i % 3}", high_demand=True) for i in range(12)
    )
    resales = tuple(resale(10_000, 22_000) for _ in range(6))

    score, is_scalper, found = assess(
        PurchaseHistory(purchases=purchases, resales=resales, accounts_on_device=8)
    )

    assert is_scalper
    assert score > Decimal("0.90")
    assert {"resale_markup", "device_farm", "many_cards", "frequent_resale"} <= set(found)


def test_a_family_sharing_a_tablet_is_not_a_scalper() -> None:
    purchases = (buy(100, tickets=4), buy(9000, tickets=4), buy(20000, tickets=4))

    _score, is_scalper, found = assess(PurchaseHistory(purchases=purchases, accounts_on_device=4))

    assert found == ("shared_device",)
    assert not is_scalper
