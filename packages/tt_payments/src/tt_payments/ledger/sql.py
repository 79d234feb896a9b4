"""The ledger in PostgreSQL: accounts, immutable entries and postings, balances.

Accounts are created on first use in their own short transaction (so a rolled-back
payment never leaves a cached id behind) and their ids cached per process. Entries are
posted inside the caller's transaction; the database re-checks that each balances. Only
the kinds in ``MAINTAINED_KINDS`` keep a balance column, updated in the same statement
batch under the row lock the UPDATE takes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_ledger import AccountKind, AccountRef, JournalEntry, Posting
from tt_money import Money, currency_for
from tt_payments.db import raw
from tt_payments.db.tables.ledger import ledger_accounts, ledger_entries, ledger_postings
from tt_payments.ledger.records import AccountDifference, VerifyReport

# Balances that guard a limit (payouts come out of available; reserves are held): these
# are locked and kept current. Hot accounts (revenue, tax, clearing) are never updated.
MAINTAINED_KINDS = frozenset({AccountKind.VENUE_AVAILABLE, AccountKind.VENUE_RESERVED})

# Built once, executed with parameters (see payments.sql: statement building is hot).
_INSERT_ENTRY = raw.RawStatement(
    sa.insert(ledger_entries),
    keys=("tenant_id", "id", "kind", "reference_type", "reference_id", "description"),
)
_POSTING_COLUMNS = ("tenant_id", "entry_id", "seq", "account_id", "amount", "currency")
_INSERT_POSTINGS: dict[int, raw.RawStatement] = {}
_ADD_TO_BALANCE = raw.RawStatement(
    sa.update(ledger_accounts)
    .where(
        ledger_accounts.c.tenant_id == sa.bindparam("w_tenant_id"),
        ledger_accounts.c.id == sa.bindparam("w_id"),
    )
    .values(balance=ledger_accounts.c.balance + sa.bindparam("delta", type_=sa.BigInteger))
)


def _insert_postings(count: int) -> raw.RawStatement:
    """One multi-row INSERT of ``count`` postings (parameters ``<column>_<row>``), built
    once per count: not an executemany, which is one statement per posting."""
    statement = _INSERT_POSTINGS.get(count)
    if statement is None:
        statement = raw.RawStatement(
            sa.insert(ledger_postings).values(
                [
                    {column: sa.bindparam(f"{column}_{row}") for column in _POSTING_COLUMNS}
                    for row in range(count)
                ]
            )
        )
        _INSERT_POSTINGS[count] = statement
    return statement


class SqlLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._ids: dict[AccountRef, uuid.UUID] = {}

    async def ensure_accounts(self, accounts: Iterable[AccountRef]) -> None:
        """Create the accounts that do not exist yet (committed at once)."""
        missing = [account for account in set(accounts) if account not in self._ids]
        if not missing:
            return
        async with self._engine.begin() as connection:
            for account in sorted(missing, key=_sort_key):
                await connection.execute(
                    insert(ledger_accounts)
                    .values(
                        tenant_id=account.tenant_id,
                        id=uuid.uuid4(),
                        kind=account.kind.value,
                        owner=account.owner,
                        currency=account.currency.code,
                        balance=0 if account.kind in MAINTAINED_KINDS else None,
                    )
                    .on_conflict_do_nothing()
                )
                row = (
                    await connection.execute(
                        sa.select(ledger_accounts.c.id).where(*_identity(account))
                    )
                ).scalar_one()
                self._ids[account] = row

    def account_id(self, account: AccountRef) -> uuid.UUID:
        return self._ids[account]

    async def post(self, connection: AsyncConnection, entry: JournalEntry) -> None:
        """Write ``entry`` in the caller's transaction. Accounts must exist (ensure_accounts)."""
        driver = await raw.on(connection)
        await driver.execute(
            _INSERT_ENTRY,
            {
                "tenant_id": entry.tenant_id,
                "id": entry.id,
                "kind": entry.kind,
                "reference_type": entry.reference_type,
                "reference_id": entry.reference_id,
                "description": entry.description,
            },
        )
        postings: dict[str, object] = {}
        for seq, posting in enumerate(entry.postings):
            postings[f"tenant_id_{seq}"] = entry.tenant_id
            postings[f"entry_id_{seq}"] = entry.id
            postings[f"seq_{seq}"] = seq
            postings[f"account_id_{seq}"] = self._ids[posting.account]
            postings[f"amount_{seq}"] = posting.amount.minor
            postings[f"currency_{seq}"] = posting.amount.currency.code
        await driver.execute(_insert_postings(len(entry.postings)), postings)
        maintained: dict[AccountRef, int] = {}
        for posting in entry.postings:
            if posting.account.kind in MAINTAINED_KINDS:
                maintained[posting.account] = (
                    maintained.get(posting.account, 0) + posting.amount.minor
                )
        for account in sorted(maintained, key=_sort_key):
            await driver.execute(
                _ADD_TO_BALANCE,
                {
                    "w_tenant_id": account.tenant_id,
                    "w_id": self._ids[account],
                    "delta": maintained[account],
                },
            )

    async def balance(
        self, connection: AsyncConnection, account: AccountRef, *, lock: bool = False
    ) -> Money:
        """The signed (debit-positive) balance from the postings.

        With ``lock`` the account row is locked first, so no other transaction that also
        locks it can post to it until this one ends (use for balances that guard a limit).
        """
        account_id = self._ids.get(account)
        if account_id is None:
            return Money(0, account.currency)
        if lock:
            await connection.execute(
                sa.select(ledger_accounts.c.id)
                .where(
                    ledger_accounts.c.tenant_id == account.tenant_id,
                    ledger_accounts.c.id == account_id,
                )
                .with_for_update()
            )
        total = (
            await connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(ledger_postings.c.amount), 0)).where(
                    ledger_postings.c.tenant_id == account.tenant_id,
                    ledger_postings.c.account_id == account_id,
                )
            )
        ).scalar_one()
        return Money(int(total), account.currency)

    async def entries_for(
        self,
        connection: AsyncConnection,
        tenant_id: uuid.UUID,
        *,
        reference_type: str,
        reference_ids: Sequence[uuid.UUID],
        kind: str,
    ) -> list[JournalEntry]:
        """The entries of ``kind`` recorded for these references, rebuilt with their postings."""
        if not reference_ids:
            return []
        rows = await connection.execute(
            sa.select(
                ledger_entries.c.id,
                ledger_entries.c.reference_id,
                ledger_entries.c.description,
                ledger_accounts.c.id,
                ledger_accounts.c.kind,
                ledger_accounts.c.owner,
                ledger_postings.c.amount,
                ledger_postings.c.currency,
            )
            .select_from(
                ledger_entries.join(
                    ledger_postings,
                    sa.and_(
                        ledger_postings.c.tenant_id == ledger_entries.c.tenant_id,
                        ledger_postings.c.entry_id == ledger_entries.c.id,
                    ),
                ).join(
                    ledger_accounts,
                    sa.and_(
                        ledger_accounts.c.tenant_id == ledger_postings.c.tenant_id,
                        ledger_accounts.c.id == ledger_postings.c.account_id,
                    ),
                )
            )
            .where(
                ledger_entries.c.tenant_id == tenant_id,
                ledger_entries.c.reference_type == reference_type,
                ledger_entries.c.reference_id.in_(list(reference_ids)),
                ledger_entries.c.kind == kind,
            )
            .order_by(ledger_entries.c.id, ledger_postings.c.seq)
        )
        grouped: dict[uuid.UUID, tuple[uuid.UUID, str, list[Posting]]] = {}
        for (
            entry_id,
            reference_id,
            description,
            account_id,
            kind_value,
            owner,
            amount,
            code,
        ) in rows:
            currency = currency_for(code)
            account = AccountRef(
                tenant_id=tenant_id, kind=AccountKind(kind_value), owner=owner, currency=currency
            )
            # A process that did not create these accounts (a restart) learns their ids here.
            self._ids.setdefault(account, account_id)
            postings = grouped.setdefault(entry_id, (reference_id, description, []))[2]
            postings.append(Posting(account=account, amount=Money(int(amount), currency)))
        return [
            JournalEntry(
                id=entry_id,
                tenant_id=tenant_id,
                kind=kind,
                reference_type=reference_type,
                reference_id=reference_id,
                postings=tuple(postings),
                description=description,
            )
            for entry_id, (reference_id, description, postings) in grouped.items()
        ]

    async def verify(self) -> VerifyReport:
        """Recompute every balance from the postings and compare with what is stored."""
        async with self._engine.connect() as connection:
            unbalanced = (
                (
                    await connection.execute(
                        sa.text(
                            """
                        SELECT e.id FROM ledger_entries e
                        LEFT JOIN ledger_postings p
                          ON p.tenant_id = e.tenant_id AND p.entry_id = e.id
                        GROUP BY e.tenant_id, e.id
                        HAVING count(p.seq) < 2 OR EXISTS (
                            SELECT 1 FROM ledger_postings q
                            WHERE q.tenant_id = e.tenant_id AND q.entry_id = e.id
                            GROUP BY q.currency HAVING sum(q.amount) <> 0)
                        """
                        )
                    )
                )
                .scalars()
                .all()
            )
            entries = (
                await connection.execute(sa.select(sa.func.count()).select_from(ledger_entries))
            ).scalar_one()
            rows = (
                (
                    await connection.execute(
                        sa.text(
                            """
                        SELECT a.id, a.tenant_id, a.kind, a.owner, a.currency, a.balance,
                               coalesce(sum(p.amount), 0) AS from_postings
                        FROM ledger_accounts a
                        LEFT JOIN ledger_postings p
                          ON p.tenant_id = a.tenant_id AND p.account_id = a.id
                        GROUP BY a.tenant_id, a.id
                        """
                        )
                    )
                )
                .mappings()
                .all()
            )
        differences = tuple(
            AccountDifference(
                account_id=row["id"],
                tenant_id=row["tenant_id"],
                kind=row["kind"],
                owner=row["owner"],
                currency=row["currency"],
                stored=int(row["balance"]),
                from_postings=int(row["from_postings"]),
            )
            for row in rows
            if row["balance"] is not None and int(row["balance"]) != int(row["from_postings"])
        )
        return VerifyReport(
            accounts_checked=len(rows),
            entries_checked=int(entries),
            unbalanced_entries=tuple(unbalanced),
            differences=differences,
        )


class SqlLedgerWriter:
    """``LedgerWriter`` on one open transaction."""

    __slots__ = ("_connection", "_ledger")

    def __init__(self, ledger: SqlLedger, connection: AsyncConnection) -> None:
        self._ledger = ledger
        self._connection = connection

    async def balance(self, account: AccountRef, *, lock: bool = False) -> Money:
        return await self._ledger.balance(self._connection, account, lock=lock)

    async def post(self, entry: JournalEntry) -> None:
        await self._ledger.post(self._connection, entry)

    async def entries_for(
        self,
        tenant_id: uuid.UUID,
        *,
        reference_type: str,
        reference_ids: Sequence[uuid.UUID],
        kind: str,
    ) -> list[JournalEntry]:
        return await self._ledger.entries_for(
            self._connection,
            tenant_id,
            reference_type=reference_type,
            reference_ids=reference_ids,
            kind=kind,
        )


def _identity(account: AccountRef) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        ledger_accounts.c.tenant_id == account.tenant_id,
        ledger_accounts.c.kind == account.kind.value,
        ledger_accounts.c.owner == account.owner,
        ledger_accounts.c.currency == account.currency.code,
    )


def _sort_key(account: AccountRef) -> tuple[str, str, str, str]:
    # One global order for creating and locking accounts, so transactions never deadlock.
    return (str(account.tenant_id), account.kind.value, account.owner, account.currency.code)
