"""The database guards the ledger as the code does: balanced, immutable, verifiable."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa

from tt_ledger import PAYMENT_TRANSITIONS, AccountKind, AccountRef
from tt_money import USD
from tt_payments import Container
from tt_payments.db.tables.ledger import ledger_accounts


def insert_entry(
    url: str, tenant: uuid.UUID, amounts: list[int], accounts: list[uuid.UUID]
) -> None:
    entry = uuid.uuid4()
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO ledger_entries (tenant_id, id, kind, reference_type, reference_id)"
            " VALUES (%s, %s, 'test', 'test', %s)",
            (tenant, entry, uuid.uuid4()),
        )
        for seq, (amount, account) in enumerate(zip(amounts, accounts, strict=True)):
            connection.execute(
                "INSERT INTO ledger_postings (tenant_id, entry_id, seq, account_id, amount,"
                " currency) VALUES (%s, %s, %s, %s, %s, 'USD')",
                (tenant, entry, seq, account, amount),
            )


async def two_accounts(container: Container, tenant: uuid.UUID) -> list[uuid.UUID]:
    refs = [
        AccountRef.platform(tenant, AccountKind.PROCESSOR_CLEARING, USD),
        AccountRef.platform(tenant, AccountKind.PLATFORM_REVENUE, USD),
    ]
    await container.ledger.ensure_accounts(refs)
    return [container.ledger.account_id(ref) for ref in refs]


async def test_the_database_refuses_an_unbalanced_entry_at_commit(
    container: Container, database_url: str, tenant: uuid.UUID
) -> None:
    accounts = await two_accounts(container, tenant)
    with pytest.raises(psycopg.errors.CheckViolation, match="does not balance"):
        insert_entry(database_url, tenant, [100, -99], accounts)
    with pytest.raises(psycopg.errors.CheckViolation, match="at least two"):
        insert_entry(database_url, tenant, [100], accounts[:1])
    insert_entry(database_url, tenant, [100, -100], accounts)


async def test_entries_and_postings_cannot_be_changed_or_deleted(
    container: Container, database_url: str, tenant: uuid.UUID
) -> None:
    accounts = await two_accounts(container, tenant)
    insert_entry(database_url, tenant, [250, -250], accounts)
    for statement in (
        "UPDATE ledger_postings SET amount = amount * 2 WHERE tenant_id = %s",
        "DELETE FROM ledger_postings WHERE tenant_id = %s",
        "DELETE FROM ledger_entries WHERE tenant_id = %s",
    ):
        with (
            psycopg.connect(database_url) as connection,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
        ):
            connection.execute(statement, (tenant,))


async def test_postings_cannot_be_added_to_an_entry_after_its_transaction(
    container: Container, database_url: str, tenant: uuid.UUID
) -> None:
    accounts = await two_accounts(container, tenant)
    insert_entry(database_url, tenant, [300, -300], accounts)
    with psycopg.connect(database_url) as connection:
        entry = connection.execute(
            "SELECT id FROM ledger_entries WHERE tenant_id = %s", (tenant,)
        ).fetchone()
    assert entry is not None
    # A balanced pair appended later would still balance: it must be refused anyway.
    with psycopg.connect(database_url) as connection:
        connection.execute("SELECT 1")  # a transaction of its own, after the entry's
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another transaction"):
            connection.execute(
                "INSERT INTO ledger_postings (tenant_id, entry_id, seq, account_id, amount,"
                " currency) VALUES (%s, %s, 2, %s, 1000, 'USD'), (%s, %s, 3, %s, -1000, 'USD')",
                (tenant, entry[0], accounts[0], tenant, entry[0], accounts[1]),
            )


async def test_verify_reports_a_kept_balance_that_drifted_from_its_postings(
    container: Container, tenant: uuid.UUID
) -> None:
    available = AccountRef.venue(tenant, AccountKind.VENUE_AVAILABLE, uuid.uuid4(), USD)
    await container.ledger.ensure_accounts([available])
    assert not [d for d in (await container.ledger.verify()).differences if d.tenant_id == tenant]
    account = ledger_accounts.c.id == container.ledger.account_id(available)
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(sa.update(ledger_accounts).where(account).values(balance=500))
    try:
        report = await container.ledger.verify()
        drifted = [d for d in report.differences if d.tenant_id == tenant]
        assert [(d.kind, d.stored, d.from_postings) for d in drifted] == [
            ("venue_available", 500, 0)
        ]
        assert not report.ok
    finally:
        # Put it right: other tests expect a clean ledger.
        async with container.infrastructure.engine.begin() as connection:
            await connection.execute(sa.update(ledger_accounts).where(account).values(balance=0))


def test_the_seeded_state_machine_is_the_code_s(database_url: str) -> None:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT from_state, to_state, event_type FROM payment_state_machine WHERE is_valid"
        ).fetchall()
    in_code = {(a.value, b.value, event.value) for a, b, event in PAYMENT_TRANSITIONS}
    assert set(rows) == in_code
