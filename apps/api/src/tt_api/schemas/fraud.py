"""Bodies of the fraud admin routes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from tt_api.schemas.catalog import Schema


class SignalBody(Schema):
    name: str
    weight: str
    detail: str


class FraudCheckBody(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID | None
    device_fingerprint: str | None
    ip_address: str | None
    score: Decimal
    signals: list[dict[str, Any]]
    decision: str
    rule: str | None
    timestamp: dt.datetime


class FraudChecksResponse(Schema):
    checks: list[FraudCheckBody]


class AddScalperRequest(Schema):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    user_id: uuid.UUID | None = None
    device_fingerprint: Annotated[str, msgspec.Meta(min_length=1, max_length=256)] | None = None
    confidence: Annotated[str, msgspec.Meta(pattern=r"^(0(\.\d{1,2})?|1(\.0{1,2})?)$")] = "1.00"
    """A decimal string from "0" to "1.00" (no floats)."""


class KnownScalperBody(Schema):
    id: uuid.UUID
    user_id: uuid.UUID | None
    device_fingerprint: str | None
    reason: str
    confidence: Decimal
    active: bool
    added_at: dt.datetime


class KnownScalperResponse(Schema):
    scalper: KnownScalperBody
    created: bool = False


class KnownScalpersResponse(Schema):
    scalpers: list[KnownScalperBody]


class RemovedResponse(Schema):
    success: bool


class FraudPolicyRequest(Schema):
    velocity: dict[str, Any] | None = None
    """``{"limits": [{"dimension": "user", "window": ..., "limit": 5}, ...]}``; null keeps
    the spec's limits."""
    rules: dict[str, Any] | None = None
    """``{"rules": [{"name", "kind", "signal", "op", "value", "errorCode"}, ...]}``."""


class FraudPolicyResponse(Schema):
    velocity: dict[str, Any]
    rules: dict[str, Any]
