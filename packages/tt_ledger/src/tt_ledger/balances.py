"""A venue's balance in one currency, read from its ledger accounts.

Three venue accounts make it up: pending (sold, not settled), available (settled, may be
paid out) and reserved (the rolling reserve and disputed amounts). The rolling reserve is
taken OUT of available when a sale settles (``settlement``), so everything in available is
payable: ``payable`` is available, never below zero (a venue whose refunds overdrew
available can withdraw nothing until later sales cover it).

The spec's example (``available`` 50000, ``reserved`` 5000, ``payable`` 45000) subtracts
the reserve from available a second time. Doing that here would hold every reserve twice,
since reserved is its own account; we keep the spec's JSON fields and report
``payable == available``.
"""

from __future__ import annotations

import uuid

import attrs

from tt_ledger.accounts import AccountKind, AccountRef
from tt_ledger.errors import LedgerError
from tt_ledger.journal import normal_balance
from tt_money.currency import Currency
from tt_money.money import Money

__all__ = ["VenueAccounts", "VenueBalance"]


@attrs.frozen(kw_only=True)
class VenueAccounts:
    """The ledger accounts of one venue in one currency."""

    pending: AccountRef
    available: AccountRef
    reserved: AccountRef
    in_transit: AccountRef

    @classmethod
    def of(cls, tenant_id: uuid.UUID, venue_id: uuid.UUID, currency: Currency) -> VenueAccounts:
        def account(kind: AccountKind) -> AccountRef:
            return AccountRef.venue(tenant_id, kind, venue_id, currency)

        return cls(
            pending=account(AccountKind.VENUE_PENDING),
            available=account(AccountKind.VENUE_AVAILABLE),
            reserved=account(AccountKind.VENUE_RESERVED),
            in_transit=account(AccountKind.VENUE_PAYOUT_IN_TRANSIT),
        )


def _check_amount(instance: VenueBalance, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise TypeError(f"{attribute.name} must be Money, not {type(value).__name__}")
    if value.currency != instance.currency:
        raise LedgerError(
            f"{attribute.name} is in {value.currency.code}; the balance in {instance.currency.code}"
        )


@attrs.frozen(kw_only=True)
class VenueBalance:
    """What venue ``venue_id`` is owed in ``currency``, as each account's normal balance.

    Positive amounts are owed to the venue; ``available`` (and, after refunds taken from
    a drained pending account, ``pending``) may be negative: the venue owes the platform.
    """

    venue_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    currency: Currency = attrs.field(validator=attrs.validators.instance_of(Currency))
    pending: Money = attrs.field(validator=_check_amount)
    available: Money = attrs.field(validator=_check_amount)
    reserved: Money = attrs.field(validator=_check_amount)

    @classmethod
    def from_ledger(
        cls,
        accounts: VenueAccounts,
        *,
        pending: Money,
        available: Money,
        reserved: Money,
    ) -> VenueBalance:
        """The balance from the three accounts' SIGNED (debit-positive) ledger balances, as
        ``SqlLedger.balance`` and ``balance_of`` return them; each is flipped to the
        account's normal side here."""
        return cls(
            venue_id=uuid.UUID(accounts.pending.owner),
            currency=accounts.pending.currency,
            pending=normal_balance(accounts.pending, pending),
            available=normal_balance(accounts.available, available),
            reserved=normal_balance(accounts.reserved, reserved),
        )

    @property
    def payable(self) -> Money:
        """What the venue may withdraw now: available, or zero when available is negative."""
        return max(self.available, Money.zero(self.currency))

    def to_spec_json(self) -> dict[str, dict[str, int | str]]:
        """The body of ``GET /api/v1/venues/{venueId}/balance``, amounts in minor units.

        ``payoutInfo.reserved`` is the reserve actually held (reserved account) and
        ``payoutInfo.payable`` is ``payable``; see the module docstring for why it is not
        available minus reserved.
        """
        return {
            "balance": {
                "available": self.available.minor,
                "pending": self.pending.minor,
                "reserved": self.reserved.minor,
                "currency": self.currency.code,
            },
            "payoutInfo": {
                "available": self.available.minor,
                "reserved": self.reserved.minor,
                "payable": self.payable.minor,
            },
        }
