"""The service layer of TicketToken Payments and its composition root, ``bootstrap``."""

from tt_payments.bootstrap import Container, Overrides, bootstrap
from tt_payments.settings import Settings

__all__ = ["Container", "Overrides", "Settings", "bootstrap"]
