"""Stripe behind the providers' ports: charges and refunds (``charges``), Connect payouts
(``payouts``), webhook events parsed into ProviderEvents (``webhooks``), the SDK client
(``client``) and the event types each context handles (``event_types``). The only place
the Stripe SDK is imported; wired in lazily by ``tt_payments.wiring``."""
