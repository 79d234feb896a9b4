"""Litestar HTTP API of TicketToken Payments: ``create_app(container)``."""

from tt_api.app import create_app

__all__ = ["create_app"]
