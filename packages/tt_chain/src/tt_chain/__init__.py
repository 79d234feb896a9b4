"""NFT minting: the chain port, gas quotes, and the choice of chain."""

from tt_chain.gas import (
    Blockchain,
    CongestionLevel,
    GasChargePolicy,
    GasQuote,
    recommend_blockchain,
)
from tt_chain.ports import GasEstimator
from tt_chain.static_gas import StaticGasEstimator

__all__ = [
    "Blockchain",
    "CongestionLevel",
    "GasChargePolicy",
    "GasEstimator",
    "GasQuote",
    "StaticGasEstimator",
    "recommend_blockchain",
]
