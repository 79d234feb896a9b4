"""Ports of tt_chain: what the service layer needs from a blockchain."""

from __future__ import annotations

from typing import Protocol

from tt_chain.gas import Blockchain, GasQuote


class GasEstimator(Protocol):
    """Prices one mint on each supported chain."""

    async def quote(self, blockchain: Blockchain) -> GasQuote:
        """The current estimate for minting one ticket on ``blockchain``."""
        ...

    async def quotes(self) -> tuple[GasQuote, ...]:
        """An estimate for every supported chain, in ``Blockchain`` order."""
        ...
