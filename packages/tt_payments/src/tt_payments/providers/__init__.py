"""Payment processors behind the ``PaymentProvider`` port: simulated and Stripe."""
