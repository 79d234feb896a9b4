"""A gas estimator that answers fixed, configured quotes.

Used until the chain issue brings RPC-backed estimators, and by tests. The quotes come
from settings, so an operator can move them without a release.
"""

from __future__ import annotations

from collections.abc import Iterable

from tt_chain.gas import Blockchain, GasQuote


class StaticGasEstimator:
    def __init__(self, quotes: Iterable[GasQuote]) -> None:
        by_chain = {quote.blockchain: quote for quote in quotes}
        missing = [chain.value for chain in Blockchain if chain not in by_chain]
        if missing:
            raise ValueError(f"no static gas quote for: {', '.join(missing)}")
        self._quotes = tuple(by_chain[chain] for chain in Blockchain)

    async def quote(self, blockchain: Blockchain) -> GasQuote:
        return next(quote for quote in self._quotes if quote.blockchain is blockchain)

    async def quotes(self) -> tuple[GasQuote, ...]:
        return self._quotes
