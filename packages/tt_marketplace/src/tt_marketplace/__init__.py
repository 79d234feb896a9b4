"""Resale marketplace: royalty terms now; price policy, escrow and group splits later."""

from tt_marketplace.royalty import RoyaltySettings

__all__ = ["RoyaltySettings"]
