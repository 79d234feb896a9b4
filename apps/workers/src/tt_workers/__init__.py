"""Dramatiq workers of TicketToken Payments (actors arrive with the payment-core issue)."""
