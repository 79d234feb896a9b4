"""What a check of the ledger reports (``tt ledger verify``)."""

from __future__ import annotations

import uuid

import attrs


@attrs.frozen(kw_only=True)
class AccountDifference:
    account_id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    owner: str
    currency: str
    stored: int
    from_postings: int


@attrs.frozen(kw_only=True)
class VerifyReport:
    accounts_checked: int
    entries_checked: int
    unbalanced_entries: tuple[uuid.UUID, ...]
    differences: tuple[AccountDifference, ...]

    @property
    def ok(self) -> bool:
        return not self.unbalanced_entries and not self.differences
