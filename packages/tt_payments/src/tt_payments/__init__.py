"""The service layer of TicketToken Payments and its composition root, ``bootstrap``."""

from tt_payments.bootstrap import Container, Infrastructure, Overrides, bootstrap
from tt_payments.settings import Settings

__all__ = ["Container", "Infrastructure", "Overrides", "Settings", "bootstrap"]
