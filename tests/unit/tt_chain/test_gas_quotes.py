"""Gas quotes, the buyer's gas charge and the choice of chain."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_chain import (
    Blockchain,
    CongestionLevel,
    GasChargePolicy,
    GasQuote,
    StaticGasEstimator,
    recommend_blockchain,
)
from tt_money import USD, Money
from tt_money.errors import InvalidInputError


def quote(chain: Blockchain, usd: str) -> GasQuote:
    return GasQuote(
        blockchain=chain,
        estimated_fee=Decimal("0.01"),
        fee_usd=Decimal(usd),
        congestion=CongestionLevel.LOW,
    )


def test_the_cheapest_chain_in_dollars_is_recommended() -> None:
    quotes = [quote(Blockchain.SOLANA, "0.05"), quote(Blockchain.POLYGON, "0.005")]
    assert recommend_blockchain(quotes) is Blockchain.POLYGON
    quotes = [quote(Blockchain.SOLANA, "0.004"), quote(Blockchain.POLYGON, "0.005")]
    assert recommend_blockchain(quotes) is Blockchain.SOLANA


def test_a_tie_goes_to_the_first_quote() -> None:
    quotes = [quote(Blockchain.SOLANA, "0.01"), quote(Blockchain.POLYGON, "0.01")]
    assert recommend_blockchain(quotes) is Blockchain.SOLANA


def test_no_quotes_is_an_error() -> None:
    with pytest.raises(InvalidInputError):
        recommend_blockchain([])


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=100))
def test_gas_charge_is_per_ticket_exactly(per_ticket: int, tickets: int) -> None:
    policy = GasChargePolicy(Money(per_ticket, USD))
    assert policy.charge(tickets) == Money(per_ticket * tickets, USD)


@pytest.mark.parametrize("tickets", [0, -1])
def test_gas_charge_needs_a_ticket(tickets: int) -> None:
    with pytest.raises(InvalidInputError):
        GasChargePolicy(Money(50, USD)).charge(tickets)


def test_quotes_refuse_floats_and_negatives() -> None:
    with pytest.raises(TypeError):
        GasQuote(
            blockchain=Blockchain.SOLANA,
            estimated_fee=0.002,  # type: ignore[arg-type]
            fee_usd=Decimal("0.05"),
            congestion=CongestionLevel.LOW,
        )
    with pytest.raises(InvalidInputError):
        quote(Blockchain.SOLANA, "-0.01")


async def test_static_estimator_needs_every_chain_and_answers_in_chain_order() -> None:
    with pytest.raises(ValueError, match="polygon"):
        StaticGasEstimator([quote(Blockchain.SOLANA, "0.05")])
    estimator = StaticGasEstimator(
        [quote(Blockchain.POLYGON, "0.005"), quote(Blockchain.SOLANA, "0.05")]
    )
    assert [q.blockchain for q in await estimator.quotes()] == [
        Blockchain.SOLANA,
        Blockchain.POLYGON,
    ]
    assert (await estimator.quote(Blockchain.POLYGON)).fee_usd == Decimal("0.005")
