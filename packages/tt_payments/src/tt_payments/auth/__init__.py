"""The auth context: who is calling (``identity``: principals and roles), the RS256 access
tokens (``tokens``) and their keys (``keys``), the waiting room's one-time queue tokens
(``queue_tokens``), and the HMAC signatures of internal service calls (``internal``).

Nothing is imported here: ``tt --help`` must not pay for PyJWT or cryptography."""
