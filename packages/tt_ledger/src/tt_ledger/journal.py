"""Journal entries: balanced, immutable sets of postings.

Signed amounts, as in TigerBeetle and django-hordak: a posting with a positive amount is a
debit, a negative one a credit, and an entry's postings sum to zero in every currency.
The database checks the same invariant again at commit; a correction is a new entry,
never an edit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

import attrs

from tt_ledger.accounts import AccountRef, Side
from tt_ledger.errors import LedgerError, UnbalancedEntryError
from tt_money.currency import Currency
from tt_money.money import Money, sum_money

__all__ = ["JournalEntry", "Posting", "balance_of", "non_zero_postings", "normal_balance"]


@attrs.frozen(kw_only=True)
class Posting:
    """``amount`` moved on ``account``: a debit when positive, a credit when negative.

    Never zero, and always in the account's currency.
    """

    account: AccountRef = attrs.field(validator=attrs.validators.instance_of(AccountRef))
    amount: Money = attrs.field(validator=attrs.validators.instance_of(Money))

    def __attrs_post_init__(self) -> None:
        if self.amount.is_zero:
            raise LedgerError(f"a posting moves money: zero on {self.account.kind.value}")
        if self.amount.currency != self.account.currency:
            raise LedgerError(
                f"a {self.amount.currency.code} posting on a "
                f"{self.account.currency.code} {self.account.kind.value} account"
            )

    @property
    def side(self) -> Side:
        return Side.DEBIT if self.amount.is_positive else Side.CREDIT


def non_zero_postings(lines: Iterable[tuple[AccountRef, Money]]) -> tuple[Posting, ...]:
    """Postings for the non-zero ``(account, signed amount)`` lines, in order."""
    return tuple(
        Posting(account=account, amount=amount) for account, amount in lines if not amount.is_zero
    )


def _check_postings(
    entry: JournalEntry, _attribute: attrs.Attribute[tuple[Posting, ...]], postings: object
) -> None:
    if not isinstance(postings, tuple) or not all(isinstance(p, Posting) for p in postings):
        raise TypeError("postings must be a tuple of Posting")
    if len(postings) < 2:
        raise LedgerError(f"an entry needs at least two postings, not {len(postings)}")
    for posting in postings:
        if posting.account.tenant_id != entry.tenant_id:
            raise LedgerError(
                f"entry of tenant {entry.tenant_id} posts to an account of tenant "
                f"{posting.account.tenant_id}"
            )
    totals: defaultdict[Currency, int] = defaultdict(int)
    for posting in postings:
        totals[posting.amount.currency] += posting.amount.minor
    unbalanced = {currency.code: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntryError(
            f"{entry.kind} entry {entry.id} does not balance; debits minus credits: {unbalanced}"
        )


def _check_text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise LedgerError(f"an entry's {attribute.name} must be a non-empty str, not {value!r}")


@attrs.frozen(kw_only=True)
class JournalEntry:
    """A balanced movement of money in one tenant's ledger.

    ``kind`` says what happened (``"payment.captured"``, ``"refund.completed"``,
    ``"correction"``); ``reference_type`` and ``reference_id`` name what it records (the
    payment transaction, the refund). At least two postings, every one on an account of
    ``tenant_id``, summing to zero in each currency (``UnbalancedEntryError`` otherwise).
    """

    id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    tenant_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    kind: str = attrs.field(validator=_check_text)
    reference_type: str = attrs.field(validator=_check_text)
    reference_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    postings: tuple[Posting, ...] = attrs.field(validator=_check_postings)
    description: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def reversal(self, *, id: uuid.UUID, kind: str, description: str) -> JournalEntry:
        """A new entry that undoes this one: every posting negated, same tenant and reference.

        This entry is not changed (entries are immutable); posting the reversal is the
        correction. Pure: builds a value, moves nothing until the caller records it.
        """
        return JournalEntry(
            id=id,
            tenant_id=self.tenant_id,
            kind=kind,
            reference_type=self.reference_type,
            reference_id=self.reference_id,
            postings=tuple(
                Posting(account=posting.account, amount=-posting.amount)
                for posting in self.postings
            ),
            description=description,
        )


def balance_of(account: AccountRef, postings: Iterable[Posting]) -> Money:
    """The signed sum of ``postings`` on ``account``: debits positive, credits negative.

    Postings on other accounts are ignored; none at all is zero in the account's currency.
    """
    return sum_money(
        (posting.amount for posting in postings if posting.account == account), account.currency
    )


def normal_balance(account: AccountRef, signed: Money) -> Money:
    """``signed`` (debit-positive) as ``account``'s normal side reads it.

    Credit-normal accounts flip the sign, so a venue pending account credited $100 shows
    +$100 (owed to the venue) and a negative result means the account is overdrawn.
    """
    if signed.currency != account.currency:
        raise LedgerError(f"a {signed.currency.code} balance for a {account.currency.code} account")
    return signed if account.normal_side is Side.DEBIT else -signed
