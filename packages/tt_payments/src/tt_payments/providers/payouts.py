"""What the service layer sends to and gets back from a payout provider.

A payout sends a venue what it is owed: ``amount`` is what the venue receives (net of
the instant fee, which the ledger keeps), to ``destination``, the venue's account at the
provider (a Stripe Connect account id, ``acct_...``). Statuses are ours
(``tt_ledger.PayoutStatus``), never the provider's vocabulary.

An answer from the provider means it accepted the payout, so a ``PayoutResult`` is
IN_TRANSIT, PAID, FAILED or CANCELED; PENDING is our own "recorded, not yet accepted"
state and no provider reports it. A payout the provider accepts and that fails later
(a closed bank account) is a result with status FAILED and the provider's
``failure_code`` / ``failure_message``, not an exception. Exceptions are the ones of
``providers.types``: ``ProviderUnavailableError`` means the outcome is UNKNOWN (retry with
the same ``idempotency_key``, which never pays twice); ``ProviderRejectedError`` means
the provider refused the request itself and paid nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import attrs

from tt_ledger.payout_states import PayoutStatus
from tt_ledger.payouts import PayoutMethod
from tt_money import Money

__all__ = ["PayoutMethod", "PayoutRequest", "PayoutResult", "PayoutStatus"]


@attrs.frozen(kw_only=True)
class PayoutRequest:
    payout_id: uuid.UUID
    tenant_id: uuid.UUID
    venue_id: uuid.UUID
    destination: str
    """The venue's account at the provider (``acct_...``)."""
    amount: Money
    """What the venue receives, net of any fee."""
    method: PayoutMethod
    idempotency_key: str
    """Derived from our ids (``provider_idempotency_key``), the same on every retry."""
    metadata: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class PayoutResult:
    provider: str
    provider_payout_id: str
    status: PayoutStatus
    amount: Money
    arrival_date: dt.date | None = None
    """When the provider expects the money in the venue's bank (its date, UTC)."""
    failure_code: str | None = None
    """The provider's reason for a failed payout, verbatim (e.g. ``account_closed``)."""
    failure_message: str | None = None
