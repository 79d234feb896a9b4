"""Ledger accounts: what kind of money an account holds, and whose it is.

An account is identified by its tenant, kind, owner and currency (``AccountRef``); the
database adapter creates the row the first time a posting names it. Each account holds one
currency.
"""

from __future__ import annotations

import enum
import re
import uuid

import attrs

from tt_ledger.errors import LedgerError
from tt_money.currency import Currency

__all__ = ["PLATFORM_OWNER", "AccountKind", "AccountRef", "Side"]

PLATFORM_OWNER = "platform"
"""The owner of the accounts that belong to the platform as a whole."""

_MAX_OWNER_LENGTH = 64
# Jurisdiction codes as tt_tax writes them ("TN", "TN-DAVIDSON"). Upper case only, so
# "tn" and "TN" can never become two tax accounts.
_JURISDICTION = re.compile(r"[A-Z0-9_]+(?:-[A-Z0-9_]+)*")


class Side(enum.Enum):
    """The side of an account a posting lands on, or the side an account normally grows on."""

    DEBIT = "debit"
    CREDIT = "credit"


class AccountKind(enum.Enum):
    """What an account holds, and therefore its normal side and who owns it."""

    PROCESSOR_CLEARING = "processor_clearing"
    """Asset: money the card processor holds for us (net of its fee) until it pays out."""
    VENUE_PENDING = "venue_pending"
    """Liability: a venue's ticket revenue not yet released for payout."""
    VENUE_AVAILABLE = "venue_available"
    """Liability: a venue's money it may be paid out; may go negative after refunds."""
    VENUE_RESERVED = "venue_reserved"
    """Liability: a venue's money held back (chargeback and refund reserve)."""
    VENUE_PAYOUT_IN_TRANSIT = "venue_payout_in_transit"
    """Liability: a venue's payouts requested and not yet paid (or failed)."""
    PLATFORM_REVENUE = "platform_revenue"
    """Income: the platform fees buyers paid."""
    PLATFORM_PROCESSING_COST = "platform_processing_cost"
    """Expense: what the card processor kept (2.9% + 30c); not returned on refunds."""
    TAX_PAYABLE = "tax_payable"
    """Liability: tax collected for one jurisdiction (the owner, e.g. ``"TN-DAVIDSON"``)."""
    CHAIN_FEE_RESERVE = "chain_fee_reserve"
    """Liability: gas collected from buyers, to be spent minting their tickets."""
    ESCROW = "escrow"
    """Liability: resale money held until the ticket transfers."""
    REFUNDS_PAYABLE = "refunds_payable"
    """Liability: refunds owed to buyers and not yet paid back."""

    @property
    def normal_side(self) -> Side:
        """``DEBIT`` for assets and expenses, ``CREDIT`` for liabilities and income."""
        if self in _DEBIT_NORMAL:
            return Side.DEBIT
        return Side.CREDIT

    @property
    def venue_owned(self) -> bool:
        """Whether the owner of an account of this kind is a venue (its id)."""
        return self in _VENUE_OWNED


_DEBIT_NORMAL = frozenset({AccountKind.PROCESSOR_CLEARING, AccountKind.PLATFORM_PROCESSING_COST})
_VENUE_OWNED = frozenset(
    {
        AccountKind.VENUE_PENDING,
        AccountKind.VENUE_AVAILABLE,
        AccountKind.VENUE_RESERVED,
        AccountKind.VENUE_PAYOUT_IN_TRANSIT,
    }
)


def _check_owner(instance: AccountRef, _attribute: attrs.Attribute[str], owner: str) -> None:
    if not isinstance(owner, str):
        raise TypeError(f"account owner must be a str, not {type(owner).__name__}")
    if not 0 < len(owner) <= _MAX_OWNER_LENGTH:
        raise LedgerError(f"account owner must be 1..{_MAX_OWNER_LENGTH} characters: {owner!r}")
    kind = instance.kind
    if kind.venue_owned:
        # The canonical form only, so one venue cannot own two accounts of a kind.
        try:
            canonical = str(uuid.UUID(owner))
        except ValueError:
            canonical = None
        if canonical != owner:
            raise LedgerError(f"the owner of a {kind.value} account is a venue UUID, not {owner!r}")
    elif kind is AccountKind.TAX_PAYABLE and _JURISDICTION.fullmatch(owner) is None:
        raise LedgerError(f"the owner of a tax account is a jurisdiction code, not {owner!r}")


@attrs.frozen(kw_only=True)
class AccountRef:
    """One account: ``tenant_id``'s ``kind`` account of ``owner`` in ``currency``.

    ``owner`` is the venue id (canonical UUID string) for venue kinds, the jurisdiction code
    for ``TAX_PAYABLE`` and ``"platform"`` for the platform's own accounts; build refs with
    ``platform``, ``venue`` and ``tax`` rather than by hand.
    """

    tenant_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    kind: AccountKind = attrs.field(validator=attrs.validators.instance_of(AccountKind))
    owner: str = attrs.field(validator=_check_owner)
    currency: Currency = attrs.field(validator=attrs.validators.instance_of(Currency))

    @classmethod
    def platform(cls, tenant_id: uuid.UUID, kind: AccountKind, currency: Currency) -> AccountRef:
        """The platform's own ``kind`` account (any kind but venue kinds and tax payable)."""
        if kind.venue_owned or kind is AccountKind.TAX_PAYABLE:
            raise LedgerError(f"a {kind.value} account does not belong to the platform")
        return cls(tenant_id=tenant_id, kind=kind, owner=PLATFORM_OWNER, currency=currency)

    @classmethod
    def venue(
        cls, tenant_id: uuid.UUID, kind: AccountKind, venue_id: uuid.UUID, currency: Currency
    ) -> AccountRef:
        """Venue ``venue_id``'s ``kind`` account (pending, available, reserved, in transit)."""
        if not kind.venue_owned:
            raise LedgerError(f"a {kind.value} account does not belong to a venue")
        if not isinstance(venue_id, uuid.UUID):
            raise TypeError(f"venue_id must be a UUID, not {type(venue_id).__name__}")
        return cls(tenant_id=tenant_id, kind=kind, owner=str(venue_id), currency=currency)

    @classmethod
    def tax(cls, tenant_id: uuid.UUID, jurisdiction: str, currency: Currency) -> AccountRef:
        """The tax payable account of ``jurisdiction`` (``"TN"``, ``"TN-DAVIDSON"``)."""
        return cls(
            tenant_id=tenant_id,
            kind=AccountKind.TAX_PAYABLE,
            owner=jurisdiction,
            currency=currency,
        )

    @property
    def normal_side(self) -> Side:
        return self.kind.normal_side
