"""The ``tt`` command line of TicketToken Payments."""
