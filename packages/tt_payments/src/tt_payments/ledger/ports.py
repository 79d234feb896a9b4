"""What a service needs of the ledger: accounts that exist, and, inside its transaction,
balances to check and entries to post."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Protocol

from tt_ledger import AccountRef, JournalEntry
from tt_money import Money
from tt_payments.ledger.records import VerifyReport


class LedgerAccounts(Protocol):
    async def ensure_accounts(self, accounts: Iterable[AccountRef]) -> None:
        """Create the accounts that do not exist yet, committed at once (before the
        transaction that posts to them, so it locks nothing it does not need)."""
        ...


class LedgerWriter(Protocol):
    """The ledger inside one transaction."""

    async def balance(self, account: AccountRef, *, lock: bool = False) -> Money:
        """The signed (debit-positive) balance from the postings. With ``lock``, the account
        is locked first until the transaction ends: no other transaction that also locks it
        posts to it meanwhile (for balances that guard a limit)."""
        ...

    async def post(self, entry: JournalEntry) -> None:
        """Write ``entry``; its accounts must exist (``LedgerAccounts.ensure_accounts``)."""
        ...

    async def entries_for(
        self,
        tenant_id: uuid.UUID,
        *,
        reference_type: str,
        reference_ids: Sequence[uuid.UUID],
        kind: str,
    ) -> list[JournalEntry]:
        """The entries of ``kind`` recorded for these references, with their postings."""
        ...


class LedgerAudit(Protocol):
    async def verify(self) -> VerifyReport:
        """Every entry balanced, every maintained balance equal to its postings' sum."""
        ...
