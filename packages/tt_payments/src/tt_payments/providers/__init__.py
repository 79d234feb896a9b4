"""The providers context: the card processor and the payout provider behind their ports
(``ports``): simulated (``simulated``, ``simulated_payouts``) and Stripe (``stripe``).
"""
