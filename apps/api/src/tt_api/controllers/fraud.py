"""Admin routes of fraud detection: decisions, known scalpers, velocity limits and rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody

from tt_api.auth import principal_of
from tt_api.dependencies import FraudDep
from tt_api.params import parse_id
from tt_api.schemas.fraud import (
    AddScalperRequest,
    FraudCheckBody,
    FraudChecksResponse,
    FraudPolicyRequest,
    FraudPolicyResponse,
    KnownScalperBody,
    KnownScalperResponse,
    KnownScalpersResponse,
    RemovedResponse,
)
from tt_fraud import rules_to_json
from tt_money.errors import InvalidInputError, NotFoundError
from tt_payments.fraud.records import KnownScalperRow
from tt_payments.fraud.service import FraudPolicy

_DECISIONS = ("approve", "review", "challenge", "decline")
MAX_PAGE = 500


class FraudAdminController(Controller):
    path = "/api/v1/admin/fraud"
    tags = ["admin", "fraud"]

    @get(
        "/checks",
        operation_id="listFraudChecks",
        summary="Fraud decisions, newest first (filters: userId, decision, since, limit)",
    )
    async def checks(
        self,
        request: Request[object, object, object],
        fraud: FraudDep,
    ) -> FraudChecksResponse:
        query = request.query_params
        user = query.get("userId")
        decision = query.get("decision")
        since = query.get("since")
        if decision is not None and decision not in _DECISIONS:
            raise _invalid("decision", f"must be one of {', '.join(_DECISIONS)}")
        rows = await fraud.checks(
            principal_of(request),
            user_id=None if user is None else parse_id(user, "userId"),
            decision=decision,
            since=None if since is None else _timestamp(since, "since"),
            limit=_limit(query.get("limit")),
        )
        return FraudChecksResponse(
            checks=[
                FraudCheckBody(
                    id=row.id,
                    user_id=row.user_id,
                    event_id=row.event_id,
                    device_fingerprint=row.device_fingerprint,
                    ip_address=row.ip_address,
                    score=row.score,
                    signals=[dict(signal) for signal in row.signals],
                    decision=row.decision,
                    rule=row.rule,
                    timestamp=row.timestamp,
                )
                for row in rows
            ]
        )

    @get("/scalpers", operation_id="listKnownScalpers", summary="The active known scalpers")
    async def scalpers(
        self,
        request: Request[object, object, object],
        fraud: FraudDep,
    ) -> KnownScalpersResponse:
        rows = await fraud.scalpers(principal_of(request))
        return KnownScalpersResponse(scalpers=[_scalper_body(row) for row in rows])

    @post(
        "/scalpers",
        operation_id="addKnownScalper",
        summary="Mark a user (or a device) as a known scalper",
        opt={"body": AddScalperRequest},
    )
    async def add_scalper(
        self,
        request: Request[object, object, object],
        data: JSONBody[AddScalperRequest],
        fraud: FraudDep,
    ) -> Response[KnownScalperResponse]:
        if data.user_id is None and data.device_fingerprint is None:
            raise InvalidInputError(
                "Validation failed",
                details=(("userId", "name a userId or a deviceFingerprint"),),
            )
        row, created = await fraud.add_scalper(
            principal_of(request),
            user_id=data.user_id,
            device_fingerprint=data.device_fingerprint,
            reason=data.reason,
            confidence=Decimal(data.confidence),
        )
        return Response(
            KnownScalperResponse(scalper=_scalper_body(row), created=created),
            status_code=201 if created else 200,
        )

    @delete(
        "/scalpers/{scalper_id:str}",
        operation_id="removeKnownScalper",
        summary="Take someone off the known-scalper list (the entry is kept, inactive)",
        status_code=200,
    )
    async def remove_scalper(
        self,
        request: Request[object, object, object],
        scalper_id: FromPath[str],
        fraud: FraudDep,
    ) -> RemovedResponse:
        removed = await fraud.remove_scalper(
            principal_of(request), parse_id(scalper_id, "scalperId")
        )
        if not removed:
            raise NotFoundError(f"no active known scalper {scalper_id}", code="SCALPER_NOT_FOUND")
        return RemovedResponse(success=True)

    @put(
        "/policy",
        operation_id="putFraudPolicy",
        summary="The tenant's velocity limits and decision rules (null: the defaults)",
        opt={"body": FraudPolicyRequest},
    )
    async def put_policy(
        self,
        request: Request[object, object, object],
        data: JSONBody[FraudPolicyRequest],
        fraud: FraudDep,
    ) -> FraudPolicyResponse:
        policy = await fraud.set_policy(
            principal_of(request), None, velocity=data.velocity, rules=data.rules
        )
        return _policy_body(policy)

    @put(
        "/policy/events/{event_id:str}",
        operation_id="putEventFraudPolicy",
        summary="One event's velocity limits and decision rules (override the tenant's)",
        opt={"body": FraudPolicyRequest},
    )
    async def put_event_policy(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        data: JSONBody[FraudPolicyRequest],
        fraud: FraudDep,
    ) -> FraudPolicyResponse:
        policy = await fraud.set_policy(
            principal_of(request),
            parse_id(event_id, "eventId"),
            velocity=data.velocity,
            rules=data.rules,
        )
        return _policy_body(policy)


def _policy_body(policy: FraudPolicy) -> FraudPolicyResponse:
    velocity: dict[str, Any] = dict(policy.velocity.to_json())
    rules: dict[str, Any] = dict(rules_to_json(policy.engine.rules))
    return FraudPolicyResponse(velocity=velocity, rules=rules)


def _scalper_body(row: KnownScalperRow) -> KnownScalperBody:
    return KnownScalperBody(
        id=row.id,
        user_id=row.user_id,
        device_fingerprint=row.device_fingerprint,
        reason=row.reason,
        confidence=row.confidence_score,
        active=row.active,
        added_at=row.added_at,
    )


def _invalid(field: str, message: str) -> InvalidInputError:
    return InvalidInputError("Validation failed", details=((field, message),))


def _timestamp(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(field, "must be an ISO 8601 timestamp with a UTC offset") from None
    if parsed.tzinfo is None:
        raise _invalid(field, "must be an ISO 8601 timestamp with a UTC offset")
    return parsed


def _limit(value: str | None) -> int:
    if value is None:
        return 50
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise _invalid("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    return int(value)
