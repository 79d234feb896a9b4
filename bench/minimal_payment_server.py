"""The floor for POST /payments/process: a raw ASGI handler doing the service's SQL writes.

No framework, no auth, no validation, no fee or tax maths, no processor: per request it
writes what a successful payment writes, the same way (SQLAlchemy async + psycopg):
the idempotency record, the ``processing`` row, then one transaction with the status
change, the intent, the journal entry and its postings, the mint job and the outbox row,
and the idempotency record's answer. bench/process_payments.py compares the service to it.

    python bench/minimal_payment_server.py --port 8001 --database-url postgresql://...
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from tt_payments.db.database import sqlalchemy_url

TENANT = uuid.uuid4()
ACCOUNTS = [uuid.uuid4() for _ in range(8)]
# Debits and credits of a $100 Nashville sale: clearing, cost | venue, revenue, 3 taxes, gas.
POSTINGS = [11495, 375, -10000, -820, -700, -225, -100, -25]


def build_app(database_url: str) -> Any:
    engine = create_async_engine(sqlalchemy_url(database_url), pool_size=20, max_overflow=20)

    async def setup() -> None:
        async with engine.begin() as connection:
            for index, account in enumerate(ACCOUNTS):
                await connection.execute(
                    sa.text(
                        "INSERT INTO ledger_accounts (tenant_id, id, kind, owner, currency)"
                        " VALUES (:t, :id, 'platform_revenue', :owner, 'USD')"
                    ),
                    {"t": TENANT, "id": account, "owner": f"bench-{index}-{account}"},
                )

    async def pay(body: dict[str, Any]) -> dict[str, Any]:
        payment, key, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO payment_idempotency (tenant_id, user_id, idempotency_key,"
                    " operation, request_hash, status, locked_until, expires_at) VALUES"
                    " (:t, :u, :k, 'process_payment', 'h', 'in_progress', now(), now())"
                ),
                {"t": TENANT, "u": user, "k": key},
            )
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO payment_transactions (tenant_id, id, venue_id, user_id,"
                    " event_id, amount, status, platform_fee, venue_payout, total_amount,"
                    " metadata, idempotency_key) VALUES (:t, :id, :v, :u, :e, 10000,"
                    " 'processing', 820, 10000, 11870, CAST(:m AS jsonb), :k)"
                ),
                {
                    "t": TENANT,
                    "id": payment,
                    "v": uuid.UUID(body["venueId"]),
                    "u": user,
                    "e": uuid.UUID(body["eventId"]),
                    "m": json.dumps(body),
                    "k": key,
                },
            )
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "UPDATE payment_transactions SET status = 'completed' WHERE tenant_id = :t"
                    " AND id = :id AND status = 'processing'"
                ),
                {"t": TENANT, "id": payment},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO payment_intents (tenant_id, id, transaction_id, provider,"
                    " stripe_intent_id, amount, currency, status, platform_fee, venue_id)"
                    " VALUES (:t, :id, :p, 'simulated', :pi, 11870, 'USD', 'succeeded', 820,"
                    " :v)"
                ),
                {
                    "t": TENANT,
                    "id": uuid.uuid4(),
                    "p": payment,
                    "pi": f"pi_{payment.hex}",
                    "v": uuid.UUID(body["venueId"]),
                },
            )
            entry = uuid.uuid4()
            await connection.execute(
                sa.text(
                    "INSERT INTO ledger_entries (tenant_id, id, kind, reference_type,"
                    " reference_id) VALUES (:t, :id, 'payment.captured',"
                    " 'payment_transaction', :p)"
                ),
                {"t": TENANT, "id": entry, "p": payment},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO ledger_postings (tenant_id, entry_id, seq, account_id,"
                    " amount, currency) VALUES (:t, :e, :s, :a, :amount, 'USD')"
                ),
                [
                    {"t": TENANT, "e": entry, "s": seq, "a": account, "amount": amount}
                    for seq, (account, amount) in enumerate(zip(ACCOUNTS, POSTINGS, strict=True))
                ],
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO nft_mint_queue (tenant_id, id, payment_id, ticket_ids,"
                    " venue_id, event_id, blockchain) VALUES (:t, :id, :p, ARRAY[:ticket]::uuid[],"
                    " :v, :e, 'polygon')"
                ),
                {
                    "t": TENANT,
                    "id": uuid.uuid4(),
                    "p": payment,
                    "ticket": uuid.uuid4(),
                    "v": uuid.UUID(body["venueId"]),
                    "e": uuid.UUID(body["eventId"]),
                },
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO outbox (tenant_id, event_id, aggregate_id, aggregate_type,"
                    " event_type, payload) VALUES (:t, :id, :p, 'payment', 'payment.completed',"
                    " CAST(:d AS jsonb))"
                ),
                {"t": TENANT, "id": uuid.uuid4(), "p": payment, "d": json.dumps(body)},
            )
            answer = {"success": True, "transaction": {"id": str(payment)}}
            await connection.execute(
                sa.text(
                    "UPDATE payment_idempotency SET status = 'completed', response_status = 200,"
                    " response_body = :b WHERE tenant_id = :t AND user_id = :u"
                    " AND idempotency_key = :k"
                ),
                {"t": TENANT, "u": user, "k": key, "b": json.dumps(answer).encode()},
            )
        return answer

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await setup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await engine.dispose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/health":
            await _respond(send, 200, b'{"status":"healthy"}')
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        answer = await pay(json.loads(b"".join(chunks)))
        await _respond(send, 200, json.dumps(answer).encode())

    return app


async def _respond(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
